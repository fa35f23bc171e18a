import { LRUCache } from 'lru-cache';
import type { Collection } from 'mongodb';
import type { ScanFact } from '../port';
import { groupsWrites } from './capabilities';
import { Inserter } from './batching';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { isDuplicateKeyError } from './errors';

type SlotDoc = ScanFact & { _id: string; bookingId: string };

/** Slots read at once past the first two (most tickets are scanned once or twice). */
const READ_CHUNK = 8;
/** Bookings whose taken slots a process remembers: many doors' worth, a few MB. */
const REMEMBERED_BOOKINGS = 50_000;
/** Far beyond any real door; a bound so a runaway client cannot make a booking's history endless. */
export const MAX_SCANS_PER_BOOKING = 5_000;

/**
 * Each booking's scans as a gap-free sequence of documents `<bookingId>#0`, `#1`, … — where updates
 * are not isolated (FerretDB), so one `$push` per scan could lose a concurrent one. A scan takes the
 * first free slot by unique insert, after reading every taken one, so a booking's history is read
 * by `_id` (which every backend answers from its primary key) instead of a `{bookingId}` query
 * (which FerretDB answers by scanning every check-in ever made). Of any two scans of a booking, the
 * one that took the later slot read the earlier one's slot first: the later always sees both.
 *
 * A taken slot is never changed or removed, so the slots a process has read of a booking stay true
 * and it remembers them: the next scan of that ticket reads only slots taken since (by any process).
 */
export class ScanSlots {
  private readonly slots: Collection<SlotDoc>;
  private readonly inserter: Inserter<SlotDoc>;
  /** Per booking, slots `#0…#n-1` as read or taken by this process (always a gap-free prefix). */
  private readonly remembered = new LRUCache<string, readonly ScanFact[]>({ max: REMEMBERED_BOOKINGS });

  constructor(context: StoreContext) {
    this.slots = context.db.collection<SlotDoc>(COLLECTIONS.checkinSlots);
    this.inserter = new Inserter(this.slots, groupsWrites(context.capabilities));
  }

  /** Takes a slot for `fact` (or finds the one it already holds) and returns the scans seen, its own included. */
  async record(bookingId: string, fact: ScanFact): Promise<ScanFact[]> {
    const seen: ScanFact[] = [...(this.remembered.get(bookingId) ?? [])];
    let from = seen.length;
    for (;;) {
      const free = await this.readTaken(bookingId, from, seen);
      // A retried scan (a server took its mutation over) already holds a slot.
      if (seen.some((scan) => scan.checkinId === fact.checkinId)) return this.remember(bookingId, seen);
      if (free >= MAX_SCANS_PER_BOOKING) throw new Error(`booking ${bookingId} has ${MAX_SCANS_PER_BOOKING} scans`);
      try {
        await this.inserter.insert({ _id: `${bookingId}#${free}`, bookingId, ...fact });
        return this.remember(bookingId, [...seen, fact]);
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        from = free; // another scan took it meanwhile: read it, then try the next
      }
    }
  }

  /** Keeps the longer of what two scans of one booking in this process have seen. */
  private remember(bookingId: string, slots: ScanFact[]): ScanFact[] {
    if ((this.remembered.get(bookingId)?.length ?? 0) < slots.length) this.remembered.set(bookingId, slots.slice());
    return slots;
  }

  /** Appends the taken slots from `from` on to `seen`; returns the first free slot. */
  private async readTaken(bookingId: string, from: number, seen: ScanFact[]): Promise<number> {
    for (let start = from, chunk = 2; ; start += chunk, chunk = READ_CHUNK) {
      const ids = Array.from({ length: chunk }, (_, index) => `${bookingId}#${start + index}`);
      const docs = await Promise.all(ids.map((_id) => this.slots.findOne({ _id })));
      for (const [index, doc] of docs.entries()) {
        // Gap-free by construction: a slot is only ever taken after the one before it was seen.
        if (!doc) return start + index;
        seen.push({
          checkinId: doc.checkinId,
          direction: doc.direction,
          hlc: doc.hlc,
          gate: doc.gate,
          ...(doc.voids ? { voids: doc.voids } : {}),
        });
      }
    }
  }
}
