import { EventEmitter } from 'node:events';
import type { Collection, Db, UpdateFilter } from 'mongodb';
import type { ChangeRow } from '../rows';
import type { PendingChange } from '../wire';
import { marksRows } from './capabilities';
import { ChangeAppender } from './changelog/append';
import { LoggedWrites } from './changelog/writes';
import { LogRepair } from './changelog/repair';
import { PendingLog } from './changelog/pending';
import type { BucketCounter, ChangeDoc, InsertBatch, LogIntent, LoggedCollection } from './changelog/types';
import { ChangeLogReader } from './changelog-reader';
import type { Condition } from './conditional';
import { COLLECTIONS, type LoggedDoc } from './documents';
import type { RowLock } from './row-lock';
import type { MongoCapabilities } from './capabilities';

// The change log's parts are in changelog/; its types are re-exported so callers import them from here.
export type { BucketCounter, ChangeDoc, InsertBatch, LogIntent, LoggedCollection } from './changelog/types';

/**
 * The per-bucket change log: the one path by which any write becomes visible to devices.
 *
 * Ordering without transactions (docs/ARCHITECTURE.md §4, MongoDB). A writer takes the next `seq` of its bucket from a
 * counter document (`$inc`), then inserts its change under `_id = bucket:seq` (unique). Two writers
 * can finish out of order — seq 8 inserted before seq 7 — so a reader walks the bucket from its
 * cursor and stops at the first missing seq: it never moves past a change that may still appear. A
 * hole older than the gap timeout means its writer died between `$inc` and insert; the reader
 * fills it with a no-op entry. If that writer was only slow, its insert now hits the unique `_id`,
 * and it takes a new seq — so a change is never lost and never published below a reader's cursor.
 * This holds across any number of server processes, because the database is the only arbiter.
 *
 * Row versions. Each row carries `rev`, incremented in the same atomic update that changes it, and
 * each change carries the row's `rev`. Two updates of one row may take their seqs in the opposite
 * order to their revs; devices keep the highest rev, so everyone converges.
 *
 * Crash safety: a row write and its change are never lost apart. Before the change is logged, the
 * write is marked as pending, and the mark is removed after; a sweep (`repairPending`, at start
 * and every few seconds) logs the current version of every row whose mark is older than the gap
 * timeout. Where a `{logPending}` range is indexed and updates are isolated (MongoDB) the mark is
 * a field set by the row's own write — no extra command — and cleared in bulk a moment after.
 * Elsewhere (FerretDB, which scans for any filter but `{_id}`) it is an intent document in
 * `logIntents` by a fresh `_id`, inserted before the write and deleted after: every step a write
 * by `_id`, and the sweep reads only the few in-flight intents.
 *
 * Cross-process pokes. After its insert a writer raises the counter's `committedSeq` and
 * `updatedAt`. The allocation (`$inc`) happens before the change exists, so it cannot be the
 * signal; this second write can, because it comes after the change is readable (see changes.ts).
 */
export const GAP_TIMEOUT_MS = 5_000;

export type ChangeLogOptions = {
  capabilities: MongoCapabilities;
  rowLock: RowLock;
  /** How old a hole must be before a reader declares its writer dead; lowered only by tests. */
  gapTimeoutMs?: number;
  onError?: (error: unknown, message: string) => void;
};

export class ChangeLog {
  readonly changes: Collection<ChangeDoc>;
  readonly counters: Collection<BucketCounter>;
  readonly intents: Collection<LogIntent>;
  /** Emits `committed` ({bucket, seq}) after each append in this process, once the change is readable. */
  readonly events = new EventEmitter();
  /**
   * The `updatedAt` this process last wrote on each bucket's counter after a commit, so the watch
   * poller can skip commits this process already announced. Bounded: pruned by the poller.
   */
  readonly localCommitStamps = new Map<string, number>();
  readonly gapTimeoutMs: number;
  private readonly marks: boolean;
  private readonly targets = new Map<string, LoggedCollection<LoggedDoc>>();
  private readonly reader: ChangeLogReader;
  private readonly appender: ChangeAppender;
  private readonly pending: PendingLog;
  private readonly writes: LoggedWrites;
  private readonly repair: LogRepair;

  constructor(db: Db, options: ChangeLogOptions) {
    this.changes = db.collection<ChangeDoc>(COLLECTIONS.changes);
    this.counters = db.collection<BucketCounter>(COLLECTIONS.buckets);
    this.intents = db.collection<LogIntent>(COLLECTIONS.logIntents);
    this.events.setMaxListeners(0);
    this.gapTimeoutMs = options.gapTimeoutMs ?? GAP_TIMEOUT_MS;
    this.reader = new ChangeLogReader(this.changes, this.counters, options.capabilities, this.gapTimeoutMs);
    this.marks = marksRows(options.capabilities);
    const onError = options.onError ?? (() => undefined);
    this.appender = new ChangeAppender(
      this.changes,
      this.counters,
      options.capabilities,
      this.reader,
      this.events,
      this.localCommitStamps,
    );
    this.pending = new PendingLog(this.intents, this.targets, options.capabilities, this.gapTimeoutMs, onError);
    this.writes = new LoggedWrites(this.appender, this.pending, options.rowLock, options.capabilities, this.marks);
    this.repair = new LogRepair(this.appender, this.pending, this.marks, this.gapTimeoutMs);
  }

  /** Whether pending log writes are marks on the rows (else intents); decides which indexes exist. */
  get marksRows(): boolean {
    return this.marks;
  }

  /** Makes a logged collection known to the repair sweep. */
  register<D extends LoggedDoc>(target: LoggedCollection<D>): LoggedCollection<D> {
    this.targets.set(target.collection.collectionName, target as unknown as LoggedCollection<LoggedDoc>);
    return target;
  }

  get loggedCollections(): Array<LoggedCollection<LoggedDoc>> {
    return [...this.targets.values()];
  }

  // ─── appending (changelog/append.ts) ────────────────────────────────────────────────────────

  /** Appends a change to its bucket's log; resolves with its seq once it is readable (ChangeAppender.append). */
  append(change: PendingChange): Promise<number> {
    return this.appender.append(change);
  }

  // ─── reading (changelog-reader.ts) ──────────────────────────────────────────────────────────

  /** Each bucket's counter (0 when none): a hint, not a bound — on FerretDB it can lag the log. */
  heads(buckets: string[]): Promise<Map<string, number>> {
    return this.reader.heads(buckets);
  }

  /** Up to `limit` contiguous changes after `afterSeq`, and the seq a reader may advance to (ChangeLogReader.read). */
  read(bucket: string, afterSeq: number, limit: number): Promise<{ changes: ChangeRow[]; upTo: number }> {
    return this.reader.read(bucket, afterSeq, limit);
  }

  // ─── logged writes (changelog/writes.ts) ────────────────────────────────────────────────────

  /** Inserts a new row (rev 1) and logs it (LoggedWrites.insertAndLog). */
  insertAndLog<D extends LoggedDoc>(target: LoggedCollection<D>, row: Omit<D, 'rev'>): Promise<D> {
    return this.writes.insertAndLog(target, row);
  }

  /** Applies `update` to the row `id` if `condition` holds, and logs it; null otherwise (LoggedWrites.updateAndLog). */
  updateAndLog<D extends LoggedDoc>(
    target: LoggedCollection<D>,
    id: string,
    update: UpdateFilter<D>,
    condition: Condition<D> | null = null,
  ): Promise<D | null> {
    return this.writes.updateAndLog(target, id, update, condition);
  }

  /** Inserts many new rows, to be logged or undone by the caller (LoggedWrites.insertMany). */
  insertMany<D extends LoggedDoc>(target: LoggedCollection<D>, rows: Array<Omit<D, 'rev'>>): Promise<InsertBatch<D>> {
    return this.writes.insertMany(target, rows);
  }

  /** Clears the marks of rows whose changes are logged (PendingLog.flushMarks). */
  flushMarks(): Promise<void> {
    return this.pending.flushMarks();
  }

  /** Stops the delayed clear and writes what is queued (store close). */
  close(): Promise<void> {
    return this.pending.close();
  }

  // ─── repair (changelog/repair.ts) ───────────────────────────────────────────────────────────

  /** Re-logs the rows of `target` whose pending record is older than `olderThanMs` (LogRepair.repairPending). */
  repairPending<D extends LoggedDoc>(target: LoggedCollection<D>, olderThanMs?: number): Promise<number> {
    return this.repair.repairPending(target, olderThanMs);
  }
}
