import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ChangeType } from '@gatehouse/protocol';
import type {
  AnyBulkWriteOperation,
  Collection,
  Db,
  Document,
  Filter,
  OptionalUnlessRequiredId,
  UpdateFilter,
} from 'mongodb';
import type { CommittedChange } from '../port';
import type { ChangeRow } from '../rows';
import type { PendingChange } from '../wire';
import { groupsWrites, marksRows, type MongoCapabilities } from './capabilities';
import { GroupWriter, Inserter, writeErrorsOf } from './batching';
import { ChangeLogReader } from './changelog-reader';
import { InFlight, markKey } from './in-flight';
import type { Condition } from './conditional';
import { COLLECTIONS, type LoggedDoc } from './documents';
import { isDuplicateKeyError } from './errors';
import { sleep } from './queries';
import type { RowLock } from './row-lock';

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
/** Changes written in one group commit at most; a pull page is 500 and a push batch 500. */
const MAX_GROUP_COMMIT = 500;
/** The `coll` of a sweeper's claim on an intent (never a collection's name, so no sweep reads it as one). */
const CLAIMS = '~claims';
/** Clears of row marks wait this long to go out together. */
const MARK_FLUSH_MS = 500;

export type ChangeDoc = {
  _id: string;
  bucket: string;
  seq: number;
  type: ChangeType | 'noop';
  id: string;
  rev: number;
  doc: Document | null;
  at: Date;
};
export type BucketCounter = { _id: string; seq: number; committedSeq?: number; updatedAt?: Date };
/** A change owed for a row being written (the intent path; see the class comment). */
export type LogIntent = { _id: string; coll: string; rowId: string; at: Date };

/** A collection of logged rows and how a row becomes its change (store/wire.ts's `changeOf`). */
export type LoggedCollection<D extends LoggedDoc> = {
  collection: Collection<D>;
  toChange: (doc: D) => PendingChange;
};

type AppendInput = Omit<PendingChange, 'bucket'>;
type QueuedAppend = { change: AppendInput; resolve: (seq: number) => void; reject: (error: unknown) => void };
type MarkClear = { id: string; stamp: Date; key: string };

/** Rows inserted but not yet logged (see ChangeLog.insertMany). */
export type InsertBatch<D> = {
  inserted: D[];
  /** Indexes of the rows a unique key refused. */
  duplicates: number[];
  log: () => Promise<void>;
  undo: () => Promise<void>;
  /**
   * Gives the batch up without logging or undoing it (the caller failed in between): its intents
   * stop being kept fresh and are left to the repair sweep, as after a crash.
   */
  abandon: () => Promise<void>;
};

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
  private readonly capabilities: MongoCapabilities;
  private readonly rowLock: RowLock;
  private readonly marks: boolean;
  private readonly appendQueues = new Map<string, QueuedAppend[]>();
  private readonly targets = new Map<string, LoggedCollection<LoggedDoc>>();
  private readonly reader: ChangeLogReader;
  private readonly intentInserter: Inserter<LogIntent>;
  private readonly intentDeletes: GroupWriter<string, true> | null;
  private readonly rowInserters = new Map<string, Inserter<Document>>();
  private readonly pendingClears = new Map<string, MarkClear[]>();
  /**
   * The pending-log records (intent ids, or marks by `markKey`) of writes this process is still
   * working on. The sweep never takes these, however old: on a database that serialises writes
   * (FerretDB on SQLite) a batch can wait behind another for longer than the gap timeout, and a
   * stalled writer is slow, not dead. Time decides only for records of other processes.
   */
  private readonly inFlight = new InFlight();
  private clearTimer: NodeJS.Timeout | null = null;
  private clearing: Promise<void> = Promise.resolve();
  private readonly onError: (error: unknown, message: string) => void;

  constructor(db: Db, options: ChangeLogOptions) {
    this.changes = db.collection<ChangeDoc>(COLLECTIONS.changes);
    this.counters = db.collection<BucketCounter>(COLLECTIONS.buckets);
    this.intents = db.collection<LogIntent>(COLLECTIONS.logIntents);
    this.events.setMaxListeners(0);
    this.capabilities = options.capabilities;
    this.rowLock = options.rowLock;
    this.gapTimeoutMs = options.gapTimeoutMs ?? GAP_TIMEOUT_MS;
    this.reader = new ChangeLogReader(this.changes, this.counters, options.capabilities, this.gapTimeoutMs);
    this.marks = marksRows(options.capabilities);
    this.onError = options.onError ?? (() => undefined);
    const grouped = groupsWrites(options.capabilities);
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

  // ─── appending ──────────────────────────────────────────────────────────────────────────────

  /**
   * Appends a change to its bucket's log and resolves with its seq once it is readable.
   *
   * Group commit: appends that queue for a bucket while its previous group is being written go
   * together — one counter step of N, one insertMany, one commit mark. Within a process this removes
   * contention on the counter entirely and turns 3·N round trips into 3. Seqs that still collide
   * (another process) take the one-by-one path.
   */
  append(change: PendingChange): Promise<number> {
    const { bucket, ...rest } = change;
    return new Promise<number>((resolve, reject) => {
      const queue = this.appendQueues.get(bucket);
      if (queue) {
        queue.push({ change: rest, resolve, reject });
        return;
      }
      this.appendQueues.set(bucket, [{ change: rest, resolve, reject }]);
      void this.flushAppends(bucket);
    });
  }

  private async flushAppends(bucket: string): Promise<void> {
    for (;;) {
      const queue = this.appendQueues.get(bucket);
      if (!queue || queue.length === 0) {
        this.appendQueues.delete(bucket);
        return;
      }
      const group = queue.splice(0, MAX_GROUP_COMMIT);
      try {
        await this.writeGroup(bucket, group);
      } catch (error) {
        for (const item of group) item.reject(error);
      }
    }
  }

  private docOf(bucket: string, seq: number, change: AppendInput, at: Date): ChangeDoc {
    return {
      _id: `${bucket}:${seq}`,
      bucket,
      seq,
      type: change.type,
      id: change.id,
      rev: change.rev,
      doc: (change.doc ?? null) as Document | null,
      at,
    };
  }

  private async writeGroup(bucket: string, group: QueuedAppend[]): Promise<void> {
    const end = group.length === 1 ? null : await this.allocate(bucket, group.length);
    if (end === null) {
      for (const item of group) item.resolve(await this.appendOne(bucket, item.change));
      return;
    }
    const first = end - group.length + 1;
    const at = new Date();
    const docs = group.map((item, index) => this.docOf(bucket, first + index, item.change, at));
    const collided = new Set<number>();
    try {
      await this.changes.insertMany(docs, { ordered: false });
    } catch (error) {
      const list = writeErrorsOf(error) ?? [];
      if (list.length === 0 || list.some((writeError) => writeError.code !== 11000)) throw error;
      for (const writeError of list) collided.add(writeError.index);
    }
    const written = docs.filter((_doc, index) => !collided.has(index));
    if (written.length > 0) {
      await this.markCommitted(bucket, written[written.length - 1]!.seq);
      for (const doc of written) this.events.emit('committed', { bucket, seq: doc.seq } satisfies CommittedChange);
    }
    for (const [index, item] of group.entries()) {
      if (!collided.has(index)) item.resolve(docs[index]!.seq);
      else item.resolve(await this.appendOne(bucket, item.change));
    }
  }

  /**
   * One append on its own. Where `$inc` is atomic a collision means a reader filled our seq (its
   * writer looked dead), and a fresh allocation is past it. Elsewhere (FerretDB) concurrent `$inc`s
   * are lost — two writers get one seq, the counter steps back — so after a collision it probes
   * upward from the taken seq, one insert a probe, with a short jittered back-off under contention:
   * safe, because a free seq is always above every reader's cursor (a cursor only passes seqs that exist).
   */
  private async appendOne(bucket: string, change: AppendInput): Promise<number> {
    const atomic = this.capabilities.atomicIncrement;
    const maxAttempts = atomic ? 20 : 1000;
    let seq: number | null = null;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (seq === null || atomic) seq = await this.allocate(bucket);
      else if (attempt % 8 === 0) {
        // Another process may be writing a whole group above us: probing one seq at a time could
        // take hundreds of inserts to pass it, so every few probes jump to a fresh allocation.
        seq = Math.max(seq + 1, (await this.allocate(bucket)) ?? 0);
      } else seq += 1;
      if (seq === null) continue;
      try {
        await this.changes.insertOne(this.docOf(bucket, seq, change, new Date()));
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        if (!atomic && attempt >= 10) await sleep(Math.random() * 5);
        continue;
      }
      await this.markCommitted(bucket, seq);
      this.events.emit('committed', { bucket, seq } satisfies CommittedChange);
      return seq;
    }
    throw new Error(`could not append to ${bucket} after ${maxAttempts} attempts`);
  }

  /** The last of `count` new seqs, or null when two first writers raced to create its counter (retry). */
  private async allocate(bucket: string, count = 1): Promise<number | null> {
    try {
      const counter = await this.counters.findOneAndUpdate(
        { _id: bucket },
        // No `updatedAt` here: it marks commits (markCommitted), and an allocation is not one.
        { $inc: { seq: count } },
        { upsert: true, returnDocument: 'after' },
      );
      return counter ? counter.seq : null;
    } catch (error) {
      if (isDuplicateKeyError(error)) return null;
      throw error;
    }
  }

  /**
   * The signal other processes' watchers follow. `updatedAt` always moves (even when a lower seq
   * lands after a higher one), so a late commit that fills a hole still wakes the readers.
   */
  private async markCommitted(bucket: string, seq: number): Promise<void> {
    // Strictly increasing per bucket within this process, so the poller can tell our stamp apart.
    const previous = this.localCommitStamps.get(bucket) ?? 0;
    const stamp = Math.max(Date.now(), previous + 1);
    this.localCommitStamps.set(bucket, stamp);
    this.reader.noteHead(bucket, seq);
    // `seq` too: after a probe the counter may be behind the log; this keeps it a useful hint.
    await this.counters.updateOne(
      { _id: bucket },
      { $max: { committedSeq: seq, seq }, $set: { updatedAt: new Date(stamp) } },
    );
  }

  // ─── reading (changelog-reader.ts) ─────────────────────────────────────────────────────────

  /** Each bucket's counter (0 when none): a hint, not a bound — on FerretDB it can lag the log. */
  heads(buckets: string[]): Promise<Map<string, number>> {
    return this.reader.heads(buckets);
  }

  /** Up to `limit` contiguous changes after `afterSeq`, and the seq a reader may advance to (ChangeLogReader.read). */
  read(bucket: string, afterSeq: number, limit: number): Promise<{ changes: ChangeRow[]; upTo: number }> {
    return this.reader.read(bucket, afterSeq, limit);
  }

  // ─── logged writes ──────────────────────────────────────────────────────────────────────────

  /** Inserts a new row (rev 1) and logs it. A taken `_id` (or unique key) throws the driver's duplicate-key error. */
  async insertAndLog<D extends LoggedDoc>(target: LoggedCollection<D>, row: Omit<D, 'rev'>): Promise<D> {
    const stored = { ...row, rev: 1 } as D;
    if (this.marks) {
      const stamp = new Date();
      const key = markKey(target, stored._id, stamp);
      this.inFlight.hold(key);
      try {
        await target.collection.insertOne({ ...stored, logPending: stamp } as OptionalUnlessRequiredId<D>);
        await this.append(target.toChange(stored));
      } catch (error) {
        this.inFlight.release(key);
        throw error;
      }
      // Held until the mark is cleared: a logged row still marked is not the sweep's.
      this.clearMark(target, stored._id, stamp);
      return stored;
    }
    const intent = await this.openIntent(target, stored._id);
    try {
      try {
        await this.rowInserter(target).insert(stored as OptionalUnlessRequiredId<D>);
      } catch (error) {
        await this.closeIntent(intent);
        throw error;
      }
      await this.append(target.toChange(stored));
      await this.closeIntent(intent);
      return stored;
    } finally {
      this.inFlight.release(intent);
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
      this.inFlight.hold(key);
      let row: D | null;
      try {
        row = (await collection.findOneAndUpdate(filter, marked as UpdateFilter<D>, {
          returnDocument: 'after',
        })) as D | null;
        if (row) await this.append(target.toChange(row));
      } catch (error) {
        this.inFlight.release(key);
        throw error;
      }
      if (row) this.clearMark(target, id, stamp);
      else this.inFlight.release(key);
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
      const intent = await this.openIntent(target, id);
      try {
        const row = (await collection.findOneAndUpdate(filter, merged, { returnDocument: 'after' })) as D | null;
        if (row) await this.append(target.toChange(row));
        await this.closeIntent(intent);
        return row;
      } finally {
        this.inFlight.release(intent);
      }
    });
  }

  /**
   * Inserts many new rows (rev 1) unordered, each marked pending like `insertAndLog`'s, and hands
   * the caller the outcome before anything is logged: it then `log`s the rows that went in (one
   * group commit per 500) or `undo`es the whole batch (deletes them; nothing was announced). Rows a
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
      for (const key of held) this.inFlight.release(key);
    };
    if (!this.marks && stored.length > 0) {
      const intents = stored.map((row) => {
        const _id = randomUUID();
        intentIds.push(_id);
        this.inFlight.hold(_id);
        return { _id, coll: target.collection.collectionName, rowId: row._id, at: stamp };
      });
      await this.intents.insertMany(intents, { ordered: false }).catch((error: unknown) => {
        release();
        throw error;
      });
    } else {
      for (const key of held) this.inFlight.hold(key);
    }
    // From here until the batch is logged or undone, however long the inserts and the caller's checks
    // take on a slow server, its intents stay fresh: the repair sweep must not take this live writer
    // for a dead one (it would log the rows twice, or log rows an undo then deletes).
    const keepFresh = this.marks ? null : this.keepIntentsFresh(intentIds);
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
          await keepFresh?.stop();
          await this.closeIntents(intentIds);
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
          await Promise.all(inserted.map((row) => this.append(target.toChange(row))));
          await this.closeIntents(intentIds);
        } catch (error) {
          await keepFresh?.stop();
          release();
          throw error;
        }
        await keepFresh?.stop();
        if (this.marks) {
          // A logged row's key is let go when its mark is cleared; a refused row's now.
          for (const row of inserted) this.clearMark(target, row._id, stamp);
          for (const index of refused) this.inFlight.release(held[index]!);
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
          await this.closeIntents(intentIds);
        } finally {
          await keepFresh?.stop();
          release();
        }
      },
    };
  }

  /**
   * Re-stamps `ids` every third of the gap timeout until stopped: intents of a writer still at work
   * never look abandoned. A failed re-stamp is only logged (the worst case is a row logged twice,
   * with the same rev, which devices ignore).
   */
  private keepIntentsFresh(ids: string[]): { stop: () => Promise<void> } {
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

  private async closeIntents(ids: string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += MAX_GROUP_COMMIT) {
      await this.intents.deleteMany({ _id: { $in: ids.slice(start, start + MAX_GROUP_COMMIT) } });
    }
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

  /**
   * Records, before a row is written, that its change is owed. Written first and removed last, so
   * a crash anywhere in between leaves it for `repairPending`; a crash before the row write only
   * costs a repeat of the row's current version, which devices treat as the same rev again.
   */
  private async openIntent(target: { collection: { collectionName: string } }, rowId: string): Promise<string> {
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

  private async closeIntent(intentId: string): Promise<void> {
    if (this.intentDeletes) await this.intentDeletes.write(intentId);
    else await this.intents.deleteOne({ _id: intentId });
  }

  /** The row's change is logged: its mark goes in the next bulk clear (only if no later write re-marked it). */
  private clearMark(target: { collection: { collectionName: string } }, id: string, stamp: Date): void {
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

  // ─── repair ─────────────────────────────────────────────────────────────────────────────────

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
        (row) => row.logPending && !this.inFlight.holds(markKey(target, row._id, row.logPending)),
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
        await this.append(target.toChange(row));
        this.clearMark(target, row._id, claim);
        relogged += 1;
      }
      if (relogged > 0) await this.flushMarks();
      return relogged;
    }
    const stale = (
      await this.intents
        .find({ coll: target.collection.collectionName, at: { $lt: cutoff } })
        .limit(1000)
        .toArray()
    ).filter((intent) => !this.inFlight.holds(intent._id));
    // Taken by a unique insert (the one write every backend makes atomic; FerretDB's updates are
    // not), and only if the intent is still there once taken: a writer that finished closed it
    // between the read and now, and of two sweepers (processes) only one inserts the claim.
    const taken: LogIntent[] = [];
    for (const intent of stale) {
      const claimId = `claim:${intent._id}`;
      try {
        await this.intents.insertOne({ _id: claimId, coll: CLAIMS, rowId: intent.rowId, at: new Date() });
      } catch (error) {
        if (isDuplicateKeyError(error)) continue;
        throw error;
      }
      if (await this.intents.findOne({ _id: intent._id })) taken.push(intent);
      else await this.intents.deleteOne({ _id: claimId });
    }
    let relogged = 0;
    for (const rowId of new Set(taken.map((intent) => intent.rowId))) {
      const row = (await target.collection.findOne({ _id: rowId } as Filter<D>)) as D | null;
      // No row: the process died before its insert landed, so there is nothing to announce.
      if (row) {
        await this.append(target.toChange(row));
        relogged += 1;
      }
    }
    for (const intent of taken) {
      await this.closeIntent(intent._id);
      await this.intents.deleteOne({ _id: `claim:${intent._id}` });
    }
    return relogged;
  }

  /** Marks wait for their bulk clear, so a mark is judged stale only well after that. */
  private repairAgeMs(): number {
    return this.marks ? Math.max(this.gapTimeoutMs, 4 * MARK_FLUSH_MS) : this.gapTimeoutMs;
  }
}
