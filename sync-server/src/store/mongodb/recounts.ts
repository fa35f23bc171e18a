import type { Collection } from 'mongodb';
import type { SeatCounts } from '../rows';
import type { LoggedCollection } from './changelog';
import { fieldsEqual } from './conditional';
import type { StoreContext } from './context';
import { COLLECTIONS, type BookingDoc, type EventDoc } from './documents';
import { upsertRacing } from './queries';

type Group = { _id: { eventId: string; ticketTypeId: string }; seats: number };
type RecountOwed = { _id: string; at: Date; n: number };

/** A recount takes milliseconds; a mark this old was left by a process that stopped before doing it. */
export const RECOUNT_REPAIR_AGE_MS = 30_000;
/** Rounds one coalesced recount may run while writes keep arriving, before it leaves the rest to the next. */
const MAX_ROUNDS = 100;

/**
 * Seats held by confirmed bookings of one event, per ticket type, counted from the bookings
 * themselves. Counters kept by `$inc` on the event would drift where `$inc` is not atomic
 * (FerretDB, measured: 50 concurrent `$inc` on one document → 5).
 */
export async function countSeats(bookings: Collection<BookingDoc>, eventId: string): Promise<SeatCounts> {
  const counts: SeatCounts = { booked: 0, byType: {} };
  const groups = await bookings
    .aggregate<Group>([
      { $match: { eventId, status: 'confirmed' } },
      { $group: { _id: { eventId: '$eventId', ticketTypeId: '$ticketTypeId' }, seats: { $sum: '$quantity' } } },
    ])
    .toArray();
  for (const group of groups) {
    counts.booked += group.seats;
    counts.byType[group._id.ticketTypeId] = (counts.byType[group._id.ticketTypeId] ?? 0) + group.seats;
  }
  return counts;
}

type Waiter = { promise: Promise<void>; resolve: () => void };

function waiter(): Waiter {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * The events' seat-count snapshot (`bookedCount`, `typeSold`): recounted from the bookings after
 * each booking change — coalesced, so concurrent changes share rounds, and awaited by the change
 * before it answers (a CSV import's chunk awaits one after all its rows instead: until then other
 * readers see the counts from before the chunk) — and logged like any event write so devices see it.
 *
 * Crash safety: before a booking change its event gets a mark in `recountsOwed`; the recount
 * removes it. A process stopped between the change and its recount leaves the mark, and `repair`
 * (any process: at start and every minute) recounts. `n` tells a mark renewed during a recount
 * from the one that recount saw, so a racing writer's mark is never removed unserved.
 */
export class Recounts {
  private readonly owed: Collection<RecountOwed>;
  /** Per event: the recount loop in flight in this process. */
  private readonly running = new Map<string, Promise<void>>();
  /** Per event: those waiting for a round that starts after their write (none asked since the last round began: absent). */
  private readonly next = new Map<string, Waiter>();
  /** Per event: the round in flight. */
  private readonly current = new Map<string, Waiter>();

  constructor(
    private readonly context: StoreContext,
    private readonly events: LoggedCollection<EventDoc>,
    private readonly bookings: Collection<BookingDoc>,
  ) {
    this.owed = context.db.collection<RecountOwed>(COLLECTIONS.recountsOwed);
  }

  /** Written before a booking change of `eventId`. */
  async owe(eventId: string): Promise<void> {
    await upsertRacing(() =>
      this.owed.updateOne({ _id: eventId }, { $set: { at: new Date() }, $inc: { n: 1 } }, { upsert: true }),
    );
  }

  /**
   * Recounts the event after a booking change, coalesced: one round in flight per event, and one
   * more for all the writes that arrived during it. Resolves when a round that began after this
   * call has logged its counts — so a booking write answers with its counts logged, as on SQLite,
   * while N concurrent writes cost two recounts, not N. A failed round is logged, not thrown: the
   * write itself stands, and its mark leaves the recount to the repair.
   */
  schedule(eventId: string): Promise<void> {
    let wait = this.next.get(eventId);
    if (!wait) {
      wait = waiter();
      this.next.set(eventId, wait);
    }
    if (!this.running.has(eventId)) {
      // Started a microtask later, so it is in the map before it can leave it (see loop).
      this.running.set(
        eventId,
        Promise.resolve().then(() => this.loop(eventId)),
      );
    }
    return wait.promise;
  }

  private async loop(eventId: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const current = this.next.get(eventId);
      if (!current) {
        // No await between the check and leaving the map: a write that comes after finds no loop
        // and starts one; one that came before was served by a round of this loop.
        this.running.delete(eventId);
        return;
      }
      this.next.delete(eventId);
      this.current.set(eventId, current);
      try {
        const mark = await this.owed.findOne({ _id: eventId });
        await this.recount(eventId);
        // A write that arrived during this round asked for the next one; its mark stays for that.
        if (mark && !this.next.has(eventId)) await this.removeMark(eventId, mark.n);
      } catch (error) {
        this.context.log.error({ err: error, eventId }, 'seat recount failed; the repair will retry it');
      } finally {
        this.current.delete(eventId);
        current.resolve();
      }
    }
    // Writes kept coming for MAX_ROUNDS rounds: let the waiting ones go; their marks stay for the repair.
    this.next.get(eventId)?.resolve();
    this.next.delete(eventId);
    this.running.delete(eventId);
  }

  /** Removes the mark only if no write renewed it since it was read. */
  private async removeMark(eventId: string, n: number): Promise<void> {
    if (this.context.capabilities.rangeReadsUseIndex) {
      await this.owed.deleteOne({ _id: eventId, n });
      return;
    }
    // `{_id, n}` would read the whole collection there: read by `_id`, delete by `_id`.
    const current = await this.owed.findOne({ _id: eventId });
    if (current?.n === n) await this.owed.deleteOne({ _id: eventId });
  }

  private async recount(eventId: string): Promise<void> {
    const counts = await countSeats(this.bookings, eventId);
    const row = await this.events.collection.findOne({ _id: eventId });
    if (!row || row.deletedAt) return;
    const sold = row.typeSold ?? {};
    const sameTypes =
      Object.keys(counts.byType).length === Object.keys(sold).filter((id) => sold[id]).length &&
      Object.entries(counts.byType).every(([id, seats]) => sold[id] === seats);
    if (row.bookedCount === counts.booked && sameTypes) return;
    await this.context.changeLog.updateAndLog(
      this.events,
      eventId,
      { $set: { bookedCount: counts.booked, typeSold: counts.byType } },
      fieldsEqual<EventDoc>({ deletedAt: null }),
    );
  }

  /**
   * Read-your-writes in this process: waits for the round that covers every booking write of the
   * event so far (the one asked for next, else the one in flight) — not for rounds later writes ask for.
   * The bookings of a CSV import chunk still running are covered only once the chunk asks (at its end).
   */
  async settled(eventId: string): Promise<void> {
    const covering = this.next.get(eventId) ?? this.current.get(eventId);
    if (covering) await covering.promise;
  }

  /** Waits for every recount in flight or asked for (store close). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** Recounts the events whose marks are older than any recount in flight; returns how many. */
  async repair(olderThanMs = RECOUNT_REPAIR_AGE_MS): Promise<number> {
    const owed = await this.owed
      .find({ at: { $lt: new Date(Date.now() - olderThanMs) } })
      .limit(100)
      .toArray();
    await Promise.all(owed.map((mark) => this.schedule(mark._id)));
    return owed.length;
  }
}
