import { randomInt } from 'node:crypto';
import type { Collection } from 'mongodb';
import type { TicketTypeRow } from '../rows';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { bulkEach, writeErrorsOf } from './batching';
import { isDuplicateKeyError } from './errors';

type SeatDoc = {
  _id: string;
  eventId: string;
  scope: string;
  slot: number;
  bookingId: string;
  /** Set while the booking that holds the seat may not exist yet (or is being cancelled); cleared by `confirm`. */
  heldSince?: Date;
};

/** What a repair needs to know of a seat's booking: whether it still wants its seats. */
export type SeatOwnerState = 'confirmed' | 'cancelled' | 'missing';

/**
 * One limit a booking's seats count against: the event's capacity (`all`) or a ticket type's quota
 * (`type-<id>`). `peak` is the highest limit ever set for the scope (null: not known, an event
 * written before peaks were kept).
 */
export type SeatScope = { key: string; limit: number; peak: number | null };

export type HoldOutcome =
  | { kind: 'held'; seatIds: string[]; counted: Set<string> }
  /** No free slot below a limit. */
  | { kind: 'full' }
  /** Slots were free but the scope's holders, counted after the hold, exceed its lowered limit; given back. */
  | { kind: 'over' };

/** Random probes before reading the taken slots once and aiming at the holes directly. */
const RANDOM_PROBES = 6;
const HOLE_ATTEMPTS = 64;
/** Seat documents per insert command of an import. */
const IMPORT_CHUNK = 1_000;

export function scopeKeyOfType(ticketTypeId: string): string {
  return `type-${ticketTypeId}`;
}

/** The limits a new event starts with, which are also its first peaks. */
export function peaksOf(capacity: number, ticketTypes: TicketTypeRow[]): Record<string, number> {
  const peaks: Record<string, number> = { all: capacity };
  for (const type of ticketTypes) peaks[scopeKeyOfType(type.id)] = type.quota;
  return peaks;
}

type LimitedEvent = { capacity: number; ticketTypes: TicketTypeRow[]; seatPeaks?: Record<string, number> };

/** The scope `key` of the event as it is: its limit now, and its peak. */
function scopeFor(event: LimitedEvent, key: string): SeatScope {
  const limit =
    key === 'all' ? event.capacity : (event.ticketTypes.find((type) => scopeKeyOfType(type.id) === key)?.quota ?? 0);
  return { key, limit, peak: event.seatPeaks ? (event.seatPeaks[key] ?? null) : null };
}

/** Type first: it is usually the scarcer, so a request that cannot get one holds nothing else. */
export function scopesOf(event: LimitedEvent, ticketTypeId: string): SeatScope[] {
  return [scopeFor(event, scopeKeyOfType(ticketTypeId)), scopeFor(event, 'all')];
}

/** Whether the slots alone bound the scope's holders: every holder took a slot below a limit no higher than now. */
function slotsBound(scope: SeatScope): boolean {
  return scope.peak !== null && scope.limit >= scope.peak;
}

/**
 * What one caller holding many seats in a row (a CSV import's chunk) learnt of a scope's taken
 * slots: the set read when the random probes stopped finding free ones, and every slot tried
 * since. The next hold tries the slots that set leaves free, lowest first, so while an event fills
 * its scopes are read about once each for the run instead of once per booking (on FerretDB each
 * read scans the whole collection: 1,000 import rows into a nearly full event took 89 s, 32 s with
 * hints). Once a scope is full, each further hold still probes and reads it once before it is
 * refused. A hint only chooses which slot to try: the insert by `_id` still decides, and a slot
 * taken meanwhile by another process is skipped as a duplicate. Slots released since the read are
 * not known here; when the hinted ones run out the ledger probes and reads again.
 */
export class SlotHints {
  private readonly scopes = new Map<string, { taken: Set<number>; from: number }>();

  /** Whether a read of the scope's taken slots is known. */
  knows(eventId: string, scope: string): boolean {
    return this.scopes.has(`${eventId}:${scope}`);
  }

  /** The lowest slot below `limit` not known to be taken, or null. */
  nextFree(eventId: string, scope: string, limit: number): number | null {
    const known = this.scopes.get(`${eventId}:${scope}`);
    if (!known) return null;
    while (known.from < limit && known.taken.has(known.from)) known.from += 1;
    return known.from < limit ? known.from : null;
  }

  /** A slot tried by an insert, won or found taken: not to be tried again. */
  tried(eventId: string, scope: string, slot: number): void {
    this.scopes.get(`${eventId}:${scope}`)?.taken.add(slot);
  }

  /** Replaces what is known of the scope by a fresh read of its taken slots. */
  learn(eventId: string, scope: string, taken: Iterable<number>): void {
    this.scopes.set(`${eventId}:${scope}`, { taken: new Set(taken), from: 0 });
  }
}

/**
 * Seats as numbered slots: holding a seat means inserting the document `<event>:<scope>:<slot>`
 * with slot < limit. The unique `_id` is the only arbiter, so two requests can never hold one slot,
 * across any number of server processes, on MongoDB and FerretDB alike (FerretDB's conditional
 * updates are not atomic, its unique inserts are). Releasing is a delete.
 *
 * A lowered limit. Slot numbers bound the holders only while the limit is at its peak: after 10 →
 * 5, the five holders may sit anywhere in 0…9 and a newcomer finds a free slot below 5. Then each
 * hold is followed by a count of the scope's holders, and given back if they exceed the limit.
 * That is right under any concurrency: of holders that overlap, the last to count sees every hold
 * before it, so the holds that stand never exceed the limit (at worst two racing holders both
 * give back, and one of them retries).
 *
 * Bookings past the limits (imports, walk-ins accepted over capacity) hold slots too, above the
 * peak, which they raise: the holders of a scope are always the seats of its confirmed bookings
 * (and of bookings on their way), never fewer.
 */
export class SeatLedger {
  readonly seats: Collection<SeatDoc>;

  constructor(private readonly context: StoreContext) {
    this.seats = context.db.collection<SeatDoc>(COLLECTIONS.seats);
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
   * key, where reading the taken slots reads the whole collection on FerretDB. Only when the probes
   * keep hitting taken slots (nearly full) are the event's slots read. With `hints` from that read
   * (SlotHints), the slots it left free are tried first, in order.
   */
  private async holdOne(
    eventId: string,
    scope: string,
    limit: number,
    bookingId: string,
    hints?: SlotHints,
  ): Promise<string | null> {
    if (limit <= 0) return null;
    const tryAt = async (slot: number) => {
      const held = await this.tryHold(eventId, scope, slot, bookingId);
      hints?.tried(eventId, scope, slot);
      return held;
    };
    if (hints?.knows(eventId, scope)) {
      for (let attempts = 0; attempts < HOLE_ATTEMPTS; attempts++) {
        const slot = hints.nextFree(eventId, scope, limit);
        if (slot === null) break;
        const held = await tryAt(slot);
        if (held) return held;
      }
    }
    for (let probe = 0; probe < Math.min(RANDOM_PROBES, limit); probe++) {
      const held = await tryAt(randomInt(0, limit));
      if (held) return held;
    }
    const rows = await this.seats.find({ eventId, scope, slot: { $lt: limit } }, { projection: { slot: 1 } }).toArray();
    const used = new Set(rows.map((row) => row.slot));
    hints?.learn(eventId, scope, used);
    for (let slot = 0, attempts = 0; slot < limit && attempts < HOLE_ATTEMPTS; slot++) {
      if (used.has(slot)) continue;
      attempts += 1;
      const held = await tryAt(slot);
      if (held) return held;
    }
    return null;
  }

  /** Holds `quantity` seats in every scope, or none. */
  async hold(
    eventId: string,
    bookingId: string,
    quantity: number,
    scopes: SeatScope[],
    hints?: SlotHints,
  ): Promise<HoldOutcome> {
    const held: string[] = [];
    const counted = new Set<string>();
    for (const scope of scopes) {
      for (let i = 0; i < quantity; i++) {
        const seat = await this.holdOne(eventId, scope.key, scope.limit, bookingId, hints);
        if (!seat) {
          await this.release(held);
          return { kind: 'full' };
        }
        held.push(seat);
      }
      if (!slotsBound(scope)) {
        counted.add(scope.key);
        if ((await this.holders(eventId, scope.key)) > scope.limit) {
          await this.release(held);
          return { kind: 'over' };
        }
      }
    }
    return { kind: 'held', seatIds: held, counted };
  }

  /**
   * After a hold, against the event as it is now: false when a scope's limit was lowered since the
   * hold read it (or is below its peak and was not counted) and its holders now exceed it.
   */
  async stillWithin(eventId: string, used: SeatScope[], now: SeatScope[], counted: Set<string>): Promise<boolean> {
    for (const scope of now) {
      const before = used.find((candidate) => candidate.key === scope.key);
      const lowered = before !== undefined && scope.limit < before.limit;
      if (!lowered && (slotsBound(scope) || counted.has(scope.key))) continue;
      if ((await this.holders(eventId, scope.key)) > scope.limit) return false;
    }
    return true;
  }

  private holders(eventId: string, scope: string): Promise<number> {
    return this.seats.countDocuments({ eventId, scope });
  }

  /**
   * Seats for bookings past the limits — an import, which does not enforce them, and a booking
   * accepted over capacity (`holdOverLimits`): taken above every slot in use — from the scope's
   * peak up, where no booking holds (online holds stay below the limit, which is at most the peak)
   * — so they need no read of the taken slots and collide only with another such hold. The peak is
   * raised past them first (`raisePeaks`), which puts the scope under counting from then on, so the
   * scope's holders, these included, are what every later hold is judged by. For an event without
   * peaks the taken slots are read once to start above them. Held (with `heldSince`) before the
   * bookings are inserted, like any hold, so a crash gives them back.
   */
  async importHolds(
    event: LimitedEvent & { _id: string },
    requests: Array<{ bookingId: string; ticketTypeId: string; quantity: number }>,
    raisePeaks: (peaks: Record<string, number>) => Promise<void>,
  ): Promise<Map<string, string[]>> {
    const held = new Map<string, string[]>(requests.map((request) => [request.bookingId, []]));
    const units = new Map<string, string[]>();
    for (const request of requests) {
      for (const key of [scopeKeyOfType(request.ticketTypeId), 'all']) {
        const list = units.get(key) ?? [];
        for (let i = 0; i < request.quantity; i++) list.push(request.bookingId);
        units.set(key, list);
      }
    }
    for (const [key, bookingIds] of units) {
      const scope = scopeFor(event, key);
      let next =
        scope.peak === null
          ? Math.max(scope.limit, await this.highestSlot(event._id, key))
          : Math.max(scope.peak, scope.limit);
      let pending = bookingIds;
      while (pending.length > 0) {
        const slots = pending.map((bookingId) => ({ bookingId, slot: next++ }));
        if (event.seatPeaks) await raisePeaks({ [key]: next });
        const refused = await this.insertSeats(event._id, key, slots);
        for (const [index, { bookingId, slot }] of slots.entries()) {
          if (!refused.has(index)) held.get(bookingId)!.push(`${event._id}:${key}:${slot}`);
        }
        pending = slots.filter((_slot, index) => refused.has(index)).map(({ bookingId }) => bookingId);
      }
    }
    return held;
  }

  /**
   * Seats for one booking accepted over its limits (a flagged walk-in): held like an import's, above
   * the peak, so that it counts among the holders until it is cancelled, and a seat another booking
   * gives back is not free while the flagged one still fills it.
   */
  async holdOverLimits(
    event: LimitedEvent & { _id: string },
    request: { bookingId: string; ticketTypeId: string; quantity: number },
    raisePeaks: (peaks: Record<string, number>) => Promise<void>,
  ): Promise<string[]> {
    return (await this.importHolds(event, [request], raisePeaks)).get(request.bookingId) ?? [];
  }

  /** One past the highest slot held in the scope (0 when none). */
  private async highestSlot(eventId: string, scope: string): Promise<number> {
    const top = await this.seats
      .find({ eventId, scope }, { projection: { slot: 1 } })
      .sort({ slot: -1 })
      .limit(1)
      .next();
    return top ? top.slot + 1 : 0;
  }

  /** Inserts seat documents unordered; returns the indexes whose slot was taken. */
  private async insertSeats(
    eventId: string,
    scope: string,
    slots: Array<{ bookingId: string; slot: number }>,
  ): Promise<Set<number>> {
    const refused = new Set<number>();
    const heldSince = new Date();
    for (let start = 0; start < slots.length; start += IMPORT_CHUNK) {
      const chunk = slots.slice(start, start + IMPORT_CHUNK);
      try {
        await this.seats.insertMany(
          chunk.map(({ bookingId, slot }) => ({
            _id: `${eventId}:${scope}:${slot}`,
            eventId,
            scope,
            slot,
            bookingId,
            heldSince,
          })),
          { ordered: false },
        );
      } catch (error) {
        const failures = writeErrorsOf(error);
        if (!failures || failures.length === 0 || failures.some((failure) => failure.code !== 11000)) throw error;
        for (const failure of failures) refused.add(start + failure.index);
      }
    }
    return refused;
  }

  /** The booking holding these seats now exists: they are no longer the repair's business. */
  async confirm(seatIds: string[]): Promise<void> {
    if (seatIds.length === 0) return;
    if (this.context.capabilities.rangeReadsUseIndex) {
      await this.seats.updateMany({ _id: { $in: seatIds } }, { $unset: { heldSince: '' } });
      return;
    }
    // By `_id` each: FerretDB answers those from its primary key, where `$in` scans.
    if (seatIds.length <= 4) {
      await Promise.all(seatIds.map((_id) => this.seats.updateOne({ _id }, { $unset: { heldSince: '' } })));
      return;
    }
    await bulkEach(
      this.seats,
      seatIds.map((_id) => ({ updateOne: { filter: { _id }, update: { $unset: { heldSince: '' } } } })),
      this.context.capabilities.maxUpdatesPerCommand,
    );
  }

  async release(seatIds: string[]): Promise<void> {
    if (seatIds.length === 0) return;
    if (this.context.capabilities.rangeReadsUseIndex) {
      await this.seats.deleteMany({ _id: { $in: seatIds } });
      return;
    }
    await Promise.all(seatIds.map((_id) => this.seats.deleteOne({ _id })));
  }

  /** Before a cancellation: the seats go back under the repair's watch until they are released. */
  async unconfirmBooking(bookingId: string): Promise<void> {
    await this.seats.updateMany({ bookingId }, { $set: { heldSince: new Date() } });
  }

  /** Gives back a booking's seats of one scope (its old ticket type's, when an import changes the type). */
  async releaseScope(bookingId: string, scope: string): Promise<void> {
    await this.seats.deleteMany({ bookingId, scope });
  }

  /** Releasing is a delete by booking id: repeating it (a racing cancel) frees nothing twice. */
  async releaseBooking(bookingId: string): Promise<void> {
    await this.seats.deleteMany({ bookingId });
  }

  /**
   * Seats held before a crash: held but never confirmed (the server died between taking the seats
   * and inserting the booking, or before confirming them), or put back under watch by a cancel
   * that died before releasing them. Those of a confirmed booking are confirmed; all others are
   * given back. Returns the events whose counts changed. `olderThanMs` is far above any request's
   * duration, so a booking still being written is never robbed of its seats.
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
}
