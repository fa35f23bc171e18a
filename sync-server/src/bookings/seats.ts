import { randomInt } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from '../db/mongo';

/** `all` counts against the event's capacity; a ticket type id counts against that type's quota. */
export type SeatScope = 'all' | { ticketTypeId: string };

type SeatRow = { _id: string; eventId: string; scope: string; slot: number; bookingId: string };

/** Forward probes before reading the taken slots once and aiming at the holes directly. */
const MAX_PROBES = 32;

function scopeKey(scope: SeatScope): string {
  return scope === 'all' ? 'all' : `type-${scope.ticketTypeId}`;
}

/**
 * Seats as numbered slots: holding a seat means inserting the document `<event>:<scope>:<slot>`
 * with slot < limit. The unique `_id` is the only arbiter, so two requests can never hold one
 * slot, across any number of server processes — on MongoDB and on FerretDB alike (FerretDB's
 * conditional updates are not atomic, its unique inserts are). Releasing is a delete.
 */
export class SeatLedger {
  readonly seats: Collection<SeatRow>;

  constructor(db: Db) {
    this.seats = db.collection<SeatRow>('seats');
  }

  async ensureIndexes(): Promise<void> {
    await this.seats.createIndex({ bookingId: 1 });
    await this.seats.createIndex({ eventId: 1, scope: 1, slot: 1 });
  }

  private taken(eventId: string, scope: string): Promise<number> {
    return this.seats.countDocuments({ eventId, scope });
  }

  private async tryHold(eventId: string, scope: string, slot: number, bookingId: string): Promise<string | null> {
    const _id = `${eventId}:${scope}:${slot}`;
    try {
      await this.seats.insertOne({ _id, eventId, scope, slot, bookingId });
      return _id;
    } catch (error) {
      if (isDuplicateKeyError(error)) return null;
      throw error;
    }
  }

  private async holdOne(eventId: string, scope: string, limit: number, bookingId: string): Promise<string | null> {
    const taken = await this.taken(eventId, scope);
    if (taken >= limit) return null;
    // A random start spreads concurrent requests over the free range instead of all racing for one slot.
    const start = taken + randomInt(0, limit - taken);
    for (let probe = 0; probe < Math.min(MAX_PROBES, limit - taken); probe++) {
      const slot = taken + ((start - taken + probe) % (limit - taken));
      const held = await this.tryHold(eventId, scope, slot, bookingId);
      if (held) return held;
    }
    // Crowded, or the holes are below `taken` (cancellations): find them.
    const rows = await this.seats
      .find({ eventId, scope, slot: { $lt: limit } }, { projection: { slot: 1 } })
      .sort({ slot: 1 })
      .toArray();
    const used = new Set(rows.map((row) => row.slot));
    for (let slot = 0, attempts = 0; slot < limit && attempts < MAX_PROBES * 4; slot++) {
      if (used.has(slot)) continue;
      attempts += 1;
      const held = await this.tryHold(eventId, scope, slot, bookingId);
      if (held) return held;
    }
    return null;
  }

  /**
   * Holds `quantity` seats in every scope, or none: on any shortfall what was taken is released
   * and null returned. A limit lowered below what is already held admits nobody until enough
   * bookings are cancelled (the count check after holding).
   */
  async hold(
    eventId: string,
    bookingId: string,
    quantity: number,
    scopes: Array<{ scope: SeatScope; limit: number }>,
  ): Promise<string[] | null> {
    const held: string[] = [];
    for (const { scope, limit } of scopes) {
      const key = scopeKey(scope);
      for (let i = 0; i < quantity; i++) {
        const id = await this.holdOne(eventId, key, limit, bookingId);
        if (!id) {
          await this.release(held);
          return null;
        }
        held.push(id);
      }
      if ((await this.taken(eventId, key)) > limit) {
        await this.release(held);
        return null;
      }
    }
    return held;
  }

  async release(seatIds: string[]): Promise<void> {
    if (seatIds.length > 0) await this.seats.deleteMany({ _id: { $in: seatIds } });
  }

  async releaseBooking(bookingId: string): Promise<void> {
    await this.seats.deleteMany({ bookingId });
  }
}
