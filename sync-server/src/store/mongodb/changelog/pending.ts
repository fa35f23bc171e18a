import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import { GroupWriter, Inserter } from '../batching';
import { groupsWrites, type MongoCapabilities } from '../capabilities';
import type { LoggedDoc } from '../documents';
import { InFlight, markKey } from '../in-flight';
import { MARK_FLUSH_MS, MAX_GROUP_COMMIT, type LogIntent, type LoggedCollection } from './types';

type MarkClear = { id: string; stamp: Date; key: string };

/**
 * The records of changes owed for rows being written (ChangeLog's class comment): intent documents
 * by `_id` (FerretDB) or marks on the rows cleared in bulk (MongoDB), and the in-flight set that
 * keeps the repair sweep off this process's own writes.
 */
export class PendingLog {
  private readonly intentInserter: Inserter<LogIntent>;
  private readonly intentDeletes: GroupWriter<string, true> | null;
  private readonly pendingClears = new Map<string, MarkClear[]>();
  /**
   * The pending-log records (intent ids, or marks by `markKey`) of writes this process is still
   * working on. The sweep never takes these, however old: on a database that serialises writes
   * (FerretDB on SQLite) a batch can wait behind another for longer than the gap timeout, and a
   * stalled writer is slow, not dead. Time decides only for records of other processes.
   */
  readonly inFlight = new InFlight();
  private clearTimer: NodeJS.Timeout | null = null;
  private clearing: Promise<void> = Promise.resolve();

  constructor(
    readonly intents: Collection<LogIntent>,
    /** ChangeLog.register's collections by name, whose marks flushMarks clears. */
    private readonly targets: Map<string, LoggedCollection<LoggedDoc>>,
    private readonly capabilities: MongoCapabilities,
    private readonly gapTimeoutMs: number,
    private readonly onError: (error: unknown, message: string) => void,
  ) {
    const grouped = groupsWrites(capabilities);
    this.intentInserter = new Inserter(this.intents, grouped);
    this.intentDeletes = grouped
      ? new GroupWriter<string, true>(async (ids) => {
          // A lone delete by `_id` alone: the form every backend answers from its primary key.
          if (ids.length === 1) await this.intents.deleteOne({ _id: ids[0]! });
          else await this.intents.deleteMany({ _id: { $in: ids } });
          return ids.map(() => true as const);
        })
      : null;
  }

  /**
   * Re-stamps `ids` every third of the gap timeout until stopped: intents of a writer still at work
   * never look abandoned. A failed re-stamp is only logged (the worst case is a row logged twice,
   * with the same rev, which devices ignore).
   */
  keepIntentsFresh(ids: string[]): { stop: () => Promise<void> } {
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    let running: Promise<void> = Promise.resolve();
    const restamp = async () => {
      const at = new Date();
      try {
        for (let start = 0; start < ids.length && !stopped; start += MAX_GROUP_COMMIT) {
          await this.intents.updateMany({ _id: { $in: ids.slice(start, start + MAX_GROUP_COMMIT) } }, { $set: { at } });
        }
      } catch (error) {
        this.onError(error, 're-stamping log intents failed; their rows may be logged twice');
      }
    };
    // Re-armed after each re-stamp finishes, so slow re-stamps never pile up.
    const arm = () => {
      if (stopped) return;
      timer = setTimeout(
        () => {
          running = restamp().then(arm);
        },
        Math.max(50, Math.floor(this.gapTimeoutMs / 3)),
      );
      timer.unref();
    };
    arm();
    return {
      stop: async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        await running;
      },
    };
  }

  async closeIntents(ids: string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += MAX_GROUP_COMMIT) {
      await this.intents.deleteMany({ _id: { $in: ids.slice(start, start + MAX_GROUP_COMMIT) } });
    }
  }

  /**
   * Records, before a row is written, that its change is owed. Written first and removed last, so
   * a crash anywhere in between leaves it for `repairPending`; a crash before the row write only
   * costs a repeat of the row's current version, which devices treat as the same rev again.
   */
  async openIntent(target: { collection: { collectionName: string } }, rowId: string): Promise<string> {
    const _id = randomUUID();
    this.inFlight.hold(_id);
    try {
      await this.intentInserter.insert({ _id, coll: target.collection.collectionName, rowId, at: new Date() });
    } catch (error) {
      this.inFlight.release(_id);
      throw error;
    }
    return _id;
  }

  async closeIntent(intentId: string): Promise<void> {
    if (this.intentDeletes) await this.intentDeletes.write(intentId);
    else await this.intents.deleteOne({ _id: intentId });
  }

  /** The row's change is logged: its mark goes in the next bulk clear (only if no later write re-marked it). */
  clearMark(target: { collection: { collectionName: string } }, id: string, stamp: Date): void {
    const name = target.collection.collectionName;
    const queue = this.pendingClears.get(name) ?? [];
    queue.push({ id, stamp, key: markKey(target, id, stamp) });
    this.pendingClears.set(name, queue);
    if (!this.clearTimer) {
      this.clearTimer = setTimeout(() => {
        this.clearTimer = null;
        void this.flushMarks();
      }, MARK_FLUSH_MS);
      this.clearTimer.unref();
    }
  }

  /** Clears the marks of rows whose changes are logged; a failed clear only costs the sweep a repeat. */
  flushMarks(): Promise<void> {
    const batches = [...this.pendingClears.entries()];
    this.pendingClears.clear();
    const run = this.clearing.then(async () => {
      for (const [name, clears] of batches) {
        const target = this.targets.get(name);
        if (!target) continue;
        const operations: AnyBulkWriteOperation<LoggedDoc>[] = clears.map(({ id, stamp }) => ({
          updateOne: { filter: { _id: id, logPending: stamp }, update: { $unset: { logPending: '' } } },
        }));
        const collection = target.collection as Collection<LoggedDoc>;
        const perCommand = this.capabilities.maxUpdatesPerCommand;
        try {
          for (let start = 0; start < operations.length; start += perCommand) {
            await collection.bulkWrite(operations.slice(start, start + perCommand), { ordered: false });
          }
        } catch (error) {
          this.onError(error, 'clearing log marks failed; the repair sweep will log those rows again');
        } finally {
          for (const clear of clears) this.inFlight.release(clear.key);
        }
      }
    });
    this.clearing = run;
    return run;
  }

  /** Stops the delayed clear and writes what is queued (store close). */
  async close(): Promise<void> {
    if (this.clearTimer) clearTimeout(this.clearTimer);
    this.clearTimer = null;
    await this.flushMarks();
  }
}
