import type { Filter, UpdateFilter } from 'mongodb';
import type { LoggedDoc } from '../documents';
import { isDuplicateKeyError } from '../errors';
import { markKey } from '../in-flight';
import type { ChangeAppender } from './append';
import type { PendingLog } from './pending';
import { MARK_FLUSH_MS, type LogIntent, type LoggedCollection } from './types';

/** The `coll` of a sweeper's claim on an intent (never a collection's name, so no sweep reads it as one). */
const CLAIMS = '~claims';

/** The repair sweep: re-logs rows whose write may have landed without its change (a crash in between). */
export class LogRepair {
  constructor(
    private readonly appender: ChangeAppender,
    private readonly pending: PendingLog,
    /** Pending records are marks on the rows (else intents): ChangeLog.marksRows. */
    private readonly marks: boolean,
    private readonly gapTimeoutMs: number,
  ) {}

  /**
   * Re-logs the rows of `target` whose write may have landed without its change (a crash in
   * between): those marked pending for longer than `olderThanMs` — a younger mark is a writer still
   * at work. Marks: read by the indexed `{logPending}` range. Intents: only the intents are read,
   * which hold in-flight and crashed writes, never the rows at large.
   */
  async repairPending<D extends LoggedDoc>(
    target: LoggedCollection<D>,
    olderThanMs = this.repairAgeMs(),
  ): Promise<number> {
    const cutoff = new Date(Date.now() - olderThanMs);
    if (this.marks) {
      const found = (await target.collection
        .find({ logPending: { $lt: cutoff } } as Filter<D>)
        .limit(1000)
        .toArray()) as D[];
      const stale = found.filter(
        (row) => row.logPending && !this.pending.inFlight.holds(markKey(target, row._id, row.logPending)),
      );
      let relogged = 0;
      for (const row of stale) {
        // Taken only if still marked as found: a writer that finished and cleared it meanwhile keeps it.
        const claim = new Date();
        const taken = await target.collection.updateOne(
          { _id: row._id, logPending: row.logPending } as Filter<D>,
          {
            $set: { logPending: claim },
          } as UpdateFilter<D>,
        );
        if (taken.matchedCount === 0) continue;
        await this.appender.append(target.toChange(row));
        this.pending.clearMark(target, row._id, claim);
        relogged += 1;
      }
      if (relogged > 0) await this.pending.flushMarks();
      return relogged;
    }
    const stale = (
      await this.pending.intents
        .find({ coll: target.collection.collectionName, at: { $lt: cutoff } })
        .limit(1000)
        .toArray()
    ).filter((intent) => !this.pending.inFlight.holds(intent._id));
    // Taken by a unique insert (the one write every backend makes atomic; FerretDB's updates are
    // not), and only if the intent is still there once taken: a writer that finished closed it
    // between the read and now, and of two sweepers (processes) only one inserts the claim.
    const taken: LogIntent[] = [];
    for (const intent of stale) {
      const claimId = `claim:${intent._id}`;
      try {
        await this.pending.intents.insertOne({ _id: claimId, coll: CLAIMS, rowId: intent.rowId, at: new Date() });
      } catch (error) {
        if (isDuplicateKeyError(error)) continue;
        throw error;
      }
      if (await this.pending.intents.findOne({ _id: intent._id })) taken.push(intent);
      else await this.pending.intents.deleteOne({ _id: claimId });
    }
    let relogged = 0;
    for (const rowId of new Set(taken.map((intent) => intent.rowId))) {
      const row = (await target.collection.findOne({ _id: rowId } as Filter<D>)) as D | null;
      // No row: the process died before its insert landed, so there is nothing to announce.
      if (row) {
        await this.appender.append(target.toChange(row));
        relogged += 1;
      }
    }
    for (const intent of taken) {
      await this.pending.closeIntent(intent._id);
      await this.pending.intents.deleteOne({ _id: `claim:${intent._id}` });
    }
    return relogged;
  }

  /** Marks wait for their bulk clear, so a mark is judged stale only well after that. */
  private repairAgeMs(): number {
    return this.marks ? Math.max(this.gapTimeoutMs, 4 * MARK_FLUSH_MS) : this.gapTimeoutMs;
  }
}
