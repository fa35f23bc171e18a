import { randomInt } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from '../db/mongo';

/** `all` counts against the event's capacity; a ticket type id counts against that type's quota. */
export type SeatScope = 'all' | { ticketTypeId: string };

type SeatRow = {
  _id: string;
  eventId: string;
  scope: string;
  slot: number;
  bookingId: string;
  /** Set while the booking that holds the seat may not exist yet; cleared by `confirm`. */
  heldSince?: Date;
};
/** What a repair needs to know of a seat's booking: whether it still wants its seats. */
export type SeatOwnerState = 'confirmed' | 'cancelled' | 'missing';

/** Random probes before reading the taken slots once and aiming at the holes directly. */
const RANDOM_PROBES = 6;
const HOLE_ATTEMPTS = 64;

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
    await this.seats.createIndex({ heldSince: 1 }, { sparse: true });
  }

  private async tryHold(eventId: string, scope: string, slot: number, bookingId: string): Promise<string | null> {
    const _id = `${eventId}:${scope}:${slot}`;
    try {
      await this.seats.insertOne({ _id, eventId, scope, slot, bookingId, heldSince: new Date() });
      return _id;
    } catch (error) {
      if (isDuplicateKeyError(error)) return null;
      throw error;
    }
  }

  /**
   * Random probes first: each is one insert by `_id`, which every backend answers from its primary
   * key, where a count would read the whole event (FerretDB scans). Only when the probes keep
   * hitting taken slots (nearly full, or capacity lowered) is the event's slot list read.
   */
  private async holdOne(
    eventId: string,
    scope: string,
    limit: number,
    bookingId: string,
  ): Promise<{ id: string; crowded: boolean } | null> {
    if (limit <= 0) return null;
    for (let probe = 0; probe < Math.min(RANDOM_PROBES, limit); probe++) {
      const held = await this.tryHold(eventId, scope, randomInt(0, limit), bookingId);
      if (held) return { id: held, crowded: false };
    }
    const rows = await this.seats.find({ eventId, scope, slot: { $lt: limit } }, { projection: { slot: 1 } }).toArray();
    const used = new Set(rows.map((row) => row.slot));
    for (let slot = 0, attempts = 0; slot < limit && attempts < HOLE_ATTEMPTS; slot++) {
      if (used.has(slot)) continue;
      attempts += 1;
      const held = await this.tryHold(eventId, scope, slot, bookingId);
      if (held) return { id: held, crowded: true };
    }
    return null;
  }

  /**
   * Holds `quantity` seats in every scope, or none: on any shortfall what was taken is released
   * and null returned. Slot numbers below the limit bound the holders; when a lowered limit left
   * more holders than it allows, the count check after a crowded hold refuses the newcomer.
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
      let crowded = false;
      for (let i = 0; i < quantity; i++) {
        const seat = await this.holdOne(eventId, key, limit, bookingId);
        if (!seat) {
          await this.release(held);
          return null;
        }
        held.push(seat.id);
        crowded ||= seat.crowded;
      }
      if (crowded && (await this.seats.countDocuments({ eventId, scope: key })) > limit) {
        await this.release(held);
        return null;
      }
    }
    return held;
  }

  /** The booking holding these seats now exists: they are no longer the repair's business. */
  async confirm(seatIds: string[]): Promise<void> {
    // One update per `_id`: FerretDB answers those from its primary key, where `$in` scans.
    await Promise.all(seatIds.map((_id) => this.seats.updateOne({ _id }, { $unset: { heldSince: '' } })));
  }

  /**
   * Seats held before a crash: held but never confirmed (the server died between taking the
   * seats and inserting the booking, or before confirming them). Those of a booking that exists
   * and is confirmed are confirmed; all others are given back. Returns the events whose counts
   * changed. `olderThanMs` is far above any request's duration, so a booking still being written
   * is never robbed of its seats.
   */
  async repairUnconfirmed(
    stateOf: (bookingIds: string[]) => Promise<Map<string, SeatOwnerState>>,
    olderThanMs: number,
  ): Promise<string[]> {
    const stale = await this.seats
      .find({ heldSince: { $lt: new Date(Date.now() - olderThanMs) } }, { projection: { bookingId: 1, eventId: 1 } })
      .limit(1000)
      .toArray();
    if (stale.length === 0) return [];
    const states = await stateOf([...new Set(stale.map((seat) => seat.bookingId))]);
    const keep = stale.filter((seat) => states.get(seat.bookingId) === 'confirmed');
    const free = stale.filter((seat) => states.get(seat.bookingId) !== 'confirmed');
    await this.confirm(keep.map((seat) => seat._id));
    await this.release(free.map((seat) => seat._id));
    return [...new Set(free.map((seat) => seat.eventId))];
  }

  async release(seatIds: string[]): Promise<void> {
    if (seatIds.length > 0) await this.seats.deleteMany({ _id: { $in: seatIds } });
  }

  /** Before a cancellation: the seats go back under the repair's watch until they are released. */
  async unconfirmBooking(bookingId: string): Promise<void> {
    await this.seats.updateMany({ bookingId }, { $set: { heldSince: new Date() } });
  }

  async releaseBooking(bookingId: string): Promise<void> {
    await this.seats.deleteMany({ bookingId });
  }
}
