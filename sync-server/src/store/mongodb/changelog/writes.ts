import { randomUUID } from 'node:crypto';
import type { Collection, Document, Filter, OptionalUnlessRequiredId, UpdateFilter } from 'mongodb';
import { Inserter, writeErrorsOf } from '../batching';
import { groupsWrites, type MongoCapabilities } from '../capabilities';
import type { Condition } from '../conditional';
import type { LoggedDoc } from '../documents';
import { markKey } from '../in-flight';
import { isDuplicateKeyError } from '../errors';
import type { RowLock } from '../row-lock';
import type { ChangeAppender } from './append';
import type { PendingLog } from './pending';
import { MAX_GROUP_COMMIT, type InsertBatch, type LoggedCollection } from './types';

/** Row writes that log their change, kept safe from a crash in between by a pending record (pending.ts). */
export class LoggedWrites {
  private readonly rowInserters = new Map<string, Inserter<Document>>();

  constructor(
    private readonly appender: ChangeAppender,
    private readonly pending: PendingLog,
    private readonly rowLock: RowLock,
    private readonly capabilities: MongoCapabilities,
    /** Pending records are marks on the rows (else intents): ChangeLog.marksRows. */
    private readonly marks: boolean,
  ) {}

  /** Inserts a new row (rev 1) and logs it. A taken `_id` (or unique key) throws the driver's duplicate-key error. */
  async insertAndLog<D extends LoggedDoc>(target: LoggedCollection<D>, row: Omit<D, 'rev'>): Promise<D> {
    const stored = { ...row, rev: 1 } as D;
    if (this.marks) {
      const stamp = new Date();
      const key = markKey(target, stored._id, stamp);
      this.pending.inFlight.hold(key);
      try {
        await target.collection.insertOne({ ...stored, logPending: stamp } as OptionalUnlessRequiredId<D>);
        await this.appender.append(target.toChange(stored));
      } catch (error) {
        this.pending.inFlight.release(key);
        throw error;
      }
      // Held until the mark is cleared: a logged row still marked is not the sweep's.
      this.pending.clearMark(target, stored._id, stamp);
      return stored;
    }
    const intent = await this.pending.openIntent(target, stored._id);
    try {
      try {
        await this.rowInserter(target).insert(stored as OptionalUnlessRequiredId<D>);
      } catch (error) {
        // A duplicate is another writer's row: nothing of ours to announce. Anything else may have
        // landed (a connection dropped after the write): the intent stays for the repair sweep,
        // which logs the row if it exists and drops the intent if not.
        if (isDuplicateKeyError(error)) await this.pending.closeIntent(intent);
        throw error;
      }
      await this.appender.append(target.toChange(stored));
      await this.pending.closeIntent(intent);
      return stored;
    } finally {
      this.pending.inFlight.release(intent);
    }
  }

  /**
   * Applies `update` to the row `id` (bumping its rev) if `condition` holds, and logs the version it
   * wrote; null when the row is missing or the condition fails. Where updates are isolated, one
   * `findOneAndUpdate` with the condition in its filter. Elsewhere this process's writes of the
   * row are serialised (see RowLock), and where compound filters scan, the condition is tested on
   * a read by `_id` and the update is by `_id` alone.
   */
  async updateAndLog<D extends LoggedDoc>(
    target: LoggedCollection<D>,
    id: string,
    update: UpdateFilter<D>,
    condition: Condition<D> | null = null,
  ): Promise<D | null> {
    const { collection } = target;
    const byId = { _id: id } as Filter<D>;
    if (this.marks) {
      const stamp = new Date();
      const marked: Document = {
        ...update,
        $inc: { ...(update.$inc ?? {}), rev: 1 },
        $set: { ...(update.$set ?? {}), logPending: stamp },
      };
      const filter = condition ? ({ ...condition.filter, _id: id } as Filter<D>) : byId;
      const key = markKey(target, id, stamp);
      this.pending.inFlight.hold(key);
      let row: D | null;
      try {
        row = (await collection.findOneAndUpdate(filter, marked as UpdateFilter<D>, {
          returnDocument: 'after',
        })) as D | null;
        if (row) await this.appender.append(target.toChange(row));
      } catch (error) {
        this.pending.inFlight.release(key);
        throw error;
      }
      if (row) this.pending.clearMark(target, id, stamp);
      else this.pending.inFlight.release(key);
      return row;
    }
    const bumped: Document = { ...update, $inc: { ...(update.$inc ?? {}), rev: 1 } };
    const merged = bumped as UpdateFilter<D>;
    return this.rowLock.run(collection, id, async () => {
      let filter = byId;
      if (condition && !this.capabilities.rangeReadsUseIndex) {
        const current = (await collection.findOne(byId)) as D | null;
        if (!current || !condition.holds(current)) return null;
      } else if (condition) {
        filter = { ...condition.filter, _id: id } as Filter<D>;
      }
      const intent = await this.pending.openIntent(target, id);
      try {
        const row = (await collection.findOneAndUpdate(filter, merged, { returnDocument: 'after' })) as D | null;
        if (row) await this.appender.append(target.toChange(row));
        await this.pending.closeIntent(intent);
        return row;
      } finally {
        this.pending.inFlight.release(intent);
      }
    });
  }

  /**
   * Inserts many new rows (rev 1) unordered, each marked pending like `insertAndLog`'s, and hands
   * the caller the outcome before anything is logged: it then `log`s the rows that went in (one
   * group commit per 500 of a bucket, ChangeAppender.appendMany) or `undo`es the whole batch (deletes them; nothing was announced). Rows a
   * unique key refused are listed by index.
   */
  async insertMany<D extends LoggedDoc>(
    target: LoggedCollection<D>,
    rows: Array<Omit<D, 'rev'>>,
  ): Promise<InsertBatch<D>> {
    const stored = rows.map((row) => ({ ...row, rev: 1 }) as D);
    const stamp = new Date();
    const intentIds: string[] = [];
    const held = this.marks ? stored.map((row) => markKey(target, row._id, stamp)) : intentIds;
    // Held before anything is written (intent ids are pushed into `held` as they are made).
    const release = () => {
      for (const key of held) this.pending.inFlight.release(key);
    };
    if (!this.marks && stored.length > 0) {
      const intents = stored.map((row) => {
        const _id = randomUUID();
        intentIds.push(_id);
        this.pending.inFlight.hold(_id);
        return { _id, coll: target.collection.collectionName, rowId: row._id, at: stamp };
      });
      await this.pending.intents.insertMany(intents, { ordered: false }).catch((error: unknown) => {
        release();
        throw error;
      });
    } else {
      for (const key of held) this.pending.inFlight.hold(key);
    }
    // From here until the batch is logged or undone, however long the inserts and the caller's checks
    // take on a slow server, its intents stay fresh: the repair sweep must not take this live writer
    // for a dead one (it would log the rows twice, or log rows an undo then deletes).
    const keepFresh = this.marks ? null : this.pending.keepIntentsFresh(intentIds);
    const refused = new Set<number>();
    if (stored.length > 0) {
      const docs = (
        this.marks ? stored.map((row) => ({ ...row, logPending: stamp })) : stored
      ) as OptionalUnlessRequiredId<D>[];
      try {
        await target.collection.insertMany(docs, { ordered: false });
      } catch (error) {
        const failures = writeErrorsOf(error);
        if (!failures || failures.length === 0 || failures.some((failure) => failure.code !== 11000)) {
          // Some rows may have landed (a per-document error, a connection dropped after the write),
          // and a retry finds them as duplicates and logs nothing: the intents stay for the repair
          // sweep, which logs the rows that exist and drops the intents of those that do not.
          await keepFresh?.stop();
          release();
          throw error;
        }
        for (const failure of failures) refused.add(failure.index);
      }
    }
    const inserted = stored.filter((_row, index) => !refused.has(index));
    return {
      inserted,
      duplicates: [...refused].sort((a, b) => a - b),
      log: async () => {
        try {
          await this.appender.appendMany(inserted.map((row) => target.toChange(row)));
          await this.pending.closeIntents(intentIds);
        } catch (error) {
          await keepFresh?.stop();
          release();
          throw error;
        }
        await keepFresh?.stop();
        if (this.marks) {
          // A logged row's key is let go when its mark is cleared; a refused row's now.
          for (const row of inserted) this.pending.clearMark(target, row._id, stamp);
          for (const index of refused) this.pending.inFlight.release(held[index]!);
        } else {
          release();
        }
      },
      abandon: async () => {
        await keepFresh?.stop();
        release();
      },
      undo: async () => {
        try {
          const ids = inserted.map((row) => row._id);
          for (let start = 0; start < ids.length; start += MAX_GROUP_COMMIT) {
            await target.collection.deleteMany({
              _id: { $in: ids.slice(start, start + MAX_GROUP_COMMIT) },
            } as Filter<D>);
          }
          await this.pending.closeIntents(intentIds);
        } finally {
          await keepFresh?.stop();
          release();
        }
      },
    };
  }

  private rowInserter<D extends LoggedDoc>(target: LoggedCollection<D>): Inserter<D> {
    const name = target.collection.collectionName;
    let inserter = this.rowInserters.get(name);
    if (!inserter) {
      inserter = new Inserter(target.collection as unknown as Collection<Document>, groupsWrites(this.capabilities));
      this.rowInserters.set(name, inserter);
    }
    return inserter as unknown as Inserter<D>;
  }
}
