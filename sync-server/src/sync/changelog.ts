import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ChangeType } from '@gatehouse/protocol';
import type { Collection, Db, Document, Filter, UpdateFilter } from 'mongodb';
import { GroupWriter, insertEach } from '../db/group-writer';
import { RowLock } from '../db/keyed-lock';
import { isDuplicateKeyError } from '../db/mongo';

/**
 * The per-bucket change log: the one path by which any write becomes visible to devices.
 *
 * Ordering without transactions (DESIGN §4). A writer takes the next `seq` of its bucket from a
 * counter document (`$inc`, atomic), then inserts its change under `_id = bucket:seq` (unique). Two
 * writers can finish out of order — seq 8 inserted before seq 7 — so a reader walks the bucket from
 * its cursor and stops at the first missing seq: it never moves past a change that may still appear.
 * A hole older than GAP_TIMEOUT_MS means its writer died between `$inc` and insert; the reader fills
 * it with a no-op entry. If that writer was only slow, its insert now hits the unique `_id`, and it
 * takes a new seq and retries — so a change is never lost and never published below a reader's cursor.
 * This holds across any number of server processes, because the database is the only arbiter.
 *
 * Row versions. Each row (event, booking, …) carries `rev`, incremented in the same atomic update
 * that changes it, and each change carries the row's `rev`. Two updates to one row may take their
 * seqs in the opposite order to their revs; devices keep the highest rev, so everyone converges.
 *
 * Crash safety. `updateAndLog` / `insertAndLog` first record an intent (`logIntents`, by a fresh
 * `_id`), then write the row, append its change, and delete the intent. A crash anywhere in between
 * leaves the intent, and `repairPending` (run at start-up and periodically) appends the row's
 * current version. The row write and its change can thus never be lost apart. The intent lives
 * apart from the row so every step is a write by `_id` alone: a pending mark on the row had to be
 * cleared with a `{_id, rev}` filter, which FerretDB answers by scanning the whole collection, and
 * the repair had to look for marks among all rows rather than among the few in-flight intents.
 *
 * Cross-process pokes. After its insert a writer raises the counter's `committedSeq` and `updatedAt`.
 * The allocation (`$inc`) happens before the change exists, so it cannot be the signal; this second
 * write can, because it comes after the change is readable. Live hubs of other processes watch
 * `updatedAt` (see live.ts); this process learns of its own commits from the `committed` event.
 */
export const GAP_TIMEOUT_MS = 5_000;
/**
 * On MongoDB `$inc` is atomic and a retry is rare (only after a reader filled our seq). FerretDB's
 * SQLite backend loses concurrent `$inc`s (two writers can be handed the same seq, and the counter
 * can even step back), so there the unique `_id` of the change is what keeps seqs unique and retries
 * are common under contention: allow many, with a short jittered back-off.
 */
const MAX_APPEND_ATTEMPTS = 200;
/** A reader at most this far behind reads the seqs it expects by `_id`; also the reads in flight at once (see fetchAfter). */
const POINT_READ_MAX = 64;
/** Changes written in one group commit at most; a pull page is 500 and a push batch 500. */
const MAX_GROUP_COMMIT = 500;
type AppendInput = { type: ChangeType; id: string; rev: number; doc: Document | null };
type QueuedAppend = { change: AppendInput; resolve: (seq: number) => void; reject: (error: unknown) => void };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

export type LoggedRow = { _id: string; rev: number };
/** A change owed for a row being written: see `openIntent`. */
export type LogIntent = { _id: string; coll: string; rowId: string; at: Date };
export type ChangeOf<Row> = (row: Row) => { bucket: string; type: ChangeType; id: string; doc: Document | null };
export type CommittedChange = { bucket: string; seq: number };
export type ChangeLogOptions = {
  /** How old a hole must be before a reader declares its writer dead; lowered only by tests. */
  gapTimeoutMs?: number;
  /** Shared with the other writers of logged rows that bypass the log (the mail sweeper). */
  rowLock?: RowLock;
  /** Read even far-behind readers' pages by `_id`: for a database that scans for ranges (FerretDB). */
  pointReadsOnly?: boolean;
};

export class ChangeLog {
  readonly changes: Collection<ChangeDoc>;
  readonly counters: Collection<BucketCounter>;
  readonly intents: Collection<LogIntent>;
  /** Emits `committed` ({bucket, seq}) after each append in this process; the live hub fans it out. */
  readonly events = new EventEmitter();
  private readonly rowLock: RowLock;
  private readonly appendQueues = new Map<string, QueuedAppend[]>();
  /**
   * The `updatedAt` this process last wrote on each bucket's counter after a commit, so the live
   * poller can skip commits this process already announced. Bounded: pruned by the poller.
   */
  readonly localCommitStamps = new Map<string, number>();
  private readonly gapTimeoutMs: number;
  private readonly pointReadsOnly: boolean;
  /** Intents of writes running side by side go out as one insert and one delete (see GroupWriter). */
  private readonly intentInserts = new GroupWriter<LogIntent, true>((intents) => insertEach(this.intents, intents));
  /** Per collection: rows inserted side by side (a batch's check-ins) go out as one `insertMany`. */
  private readonly rowInserts = new Map<string, GroupWriter<Document, true>>();
  private readonly intentDeletes = new GroupWriter<string, true>(async (ids) => {
    // A lone delete by `_id` alone: the form every backend answers from its primary key.
    if (ids.length === 1) await this.intents.deleteOne({ _id: ids[0]! });
    else await this.intents.deleteMany({ _id: { $in: ids } });
    return ids.map(() => true as const);
  });

  constructor(db: Db, options: ChangeLogOptions = {}) {
    this.changes = db.collection<ChangeDoc>('changes');
    this.counters = db.collection<BucketCounter>('buckets');
    this.intents = db.collection<LogIntent>('logIntents');
    this.events.setMaxListeners(0);
    this.gapTimeoutMs = options.gapTimeoutMs ?? GAP_TIMEOUT_MS;
    this.rowLock = options.rowLock ?? new RowLock();
    this.pointReadsOnly = options.pointReadsOnly ?? false;
  }

  async ensureIndexes(): Promise<void> {
    await this.changes.createIndex({ bucket: 1, seq: 1 }, { unique: true });
    await this.counters.createIndex({ updatedAt: 1 });
    await this.intents.createIndex({ coll: 1, at: 1 });
  }

  /**
   * Appends a change to a bucket's log and resolves with its seq once it is readable.
   *
   * Group commit: appends that queue for a bucket while its previous group is being written go
   * together — one counter step of N, one insertMany, one commit mark. Within a process this removes
   * contention on the counter entirely (FerretDB loses concurrent `$inc`s, MongoDB serialises them)
   * and turns 3·N round trips into 3. Seqs that still collide (another process) take the probe path.
   */
  append(bucket: string, change: AppendInput): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const queue = this.appendQueues.get(bucket);
      if (queue) {
        queue.push({ change, resolve, reject });
        return;
      }
      this.appendQueues.set(bucket, [{ change, resolve, reject }]);
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

  private async writeGroup(bucket: string, group: QueuedAppend[]): Promise<void> {
    const end = group.length === 1 ? null : await this.allocate(bucket, group.length);
    if (end === null) {
      for (const item of group) item.resolve(await this.appendOne(bucket, item.change));
      return;
    }
    const first = end - group.length + 1;
    const at = new Date();
    const docs = group.map((item, index) => ({
      _id: `${bucket}:${first + index}`,
      bucket,
      seq: first + index,
      ...item.change,
      at,
    }));
    const collided = new Set<number>();
    try {
      await this.changes.insertMany(docs, { ordered: false });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
      const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as Array<{
        index: number;
        code?: number;
      }>;
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

  /** One append on its own, probing upward after a collision. */
  private async appendOne(bucket: string, change: AppendInput): Promise<number> {
    let seq: number | null = null;
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      // After a collision, probe upward from the taken seq instead of asking the counter again:
      // on FerretDB the counter may have stepped back, and each probe is one insert. Safe, because
      // a free seq is always above every reader's cursor (a cursor only passes seqs that exist).
      seq = seq === null ? await this.allocate(bucket) : seq + 1;
      if (seq === null) continue;
      try {
        await this.changes.insertOne({ _id: `${bucket}:${seq}`, bucket, seq, ...change, at: new Date() });
      } catch (error) {
        // Our seq is taken: a reader declared it dead and filled it, or (FerretDB) a lost `$inc`
        // handed it out twice.
        if (!isDuplicateKeyError(error)) throw error;
        if (attempt >= 10) await sleep(Math.random() * 5);
        continue;
      }
      await this.markCommitted(bucket, seq);
      this.events.emit('committed', { bucket, seq } satisfies CommittedChange);
      return seq;
    }
    throw new Error(`could not append to ${bucket} after ${MAX_APPEND_ATTEMPTS} attempts`);
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
   * The signal other processes' live pokes follow. `updatedAt` always moves (even when a lower seq
   * lands after a higher one), so a late commit that fills a hole still wakes the readers.
   */
  private async markCommitted(bucket: string, seq: number): Promise<void> {
    // Strictly increasing per bucket within this process, so the poller can tell our stamp apart.
    const previous = this.localCommitStamps.get(bucket) ?? 0;
    const stamp = Math.max(Date.now(), previous + 1);
    this.localCommitStamps.set(bucket, stamp);
    // `seq` too: after a probe the counter may be behind the log; this keeps it a useful hint.
    await this.counters.updateOne(
      { _id: bucket },
      { $max: { committedSeq: seq, seq }, $set: { updatedAt: new Date(stamp) } },
    );
  }

  /**
   * The bucket's highest allocated seq (0 when it has none). A hint, not a bound: on FerretDB the
   * counter can lag the log (see MAX_APPEND_ATTEMPTS), so readers never skip a bucket because of it.
   */
  async headSeq(bucket: string): Promise<number> {
    return (await this.counters.findOne({ _id: bucket }))?.seq ?? 0;
  }

  /**
   * Up to `limit` changes after `afterSeq`, contiguous: the result stops before the first hole that
   * is not yet known to be dead. `upTo` is the seq a reader may advance its cursor to. `headHint`
   * (the bucket counter, read by the caller for many buckets at once) only picks how to read.
   */
  async readContiguous(
    bucket: string,
    afterSeq: number,
    limit: number,
    headHint?: number,
  ): Promise<{ changes: ChangeDoc[]; upTo: number }> {
    for (let pass = 0; pass < 3; pass++) {
      const rows = await this.fetchAfter(bucket, afterSeq, limit, headHint);
      const contiguous: ChangeDoc[] = [];
      let expected = afterSeq + 1;
      let filledHole = false;
      for (const row of rows) {
        if (row.seq !== expected) {
          // Hole at `expected`. Its writer took that seq before `row`'s writer took row.seq, so if
          // `row` itself is older than the timeout, the hole's writer has had at least that long.
          if (Date.now() - row.at.getTime() >= this.gapTimeoutMs && (await this.fillHole(bucket, expected))) {
            filledHole = true;
          }
          break;
        }
        contiguous.push(row);
        expected += 1;
      }
      if (!filledHole) return { changes: contiguous.filter((c) => c.type !== 'noop'), upTo: expected - 1 };
    }
    return { changes: [], upTo: afterSeq };
  }

  /**
   * The bucket's changes after `afterSeq` in seq order, at most `limit`, possibly with holes. A
   * reader that is nearly caught up (the usual pull, after a poke) reads the few seqs it expects by
   * `_id`, in parallel, and then one past them, until the first missing one. A reader far behind (an
   * initial sync) takes pages by `(bucket, seq)` range, which MongoDB serves from the index — unless
   * the database answers a range by reading the whole collection (FerretDB: every page of an initial
   * sync of 100,000 bookings read the whole log), where it too reads by `_id`, POINT_READ_MAX at a
   * time. The log, never the hint, decides the end.
   */
  private async fetchAfter(bucket: string, afterSeq: number, limit: number, headHint?: number): Promise<ChangeDoc[]> {
    const behind = headHint === undefined ? Infinity : Math.max(0, headHint - afterSeq);
    if (behind > POINT_READ_MAX && !this.pointReadsOnly) {
      return this.changes
        .find({ bucket, seq: { $gt: afterSeq } })
        .sort({ seq: 1 })
        .limit(limit)
        .toArray();
    }
    const rows: ChangeDoc[] = [];
    let next = afterSeq + 1;
    let chunk = Math.min(limit, behind <= POINT_READ_MAX ? behind + 1 : POINT_READ_MAX);
    while (chunk > 0) {
      const seqs = Array.from({ length: chunk }, (_, index) => next + index);
      const found = await Promise.all(seqs.map((seq) => this.changes.findOne({ _id: `${bucket}:${seq}` })));
      const present = found.filter((row): row is ChangeDoc => row !== null);
      rows.push(...present);
      // A missing seq ends the read; the row after a hole (if fetched) lets the caller judge the hole.
      if (present.length < chunk) break;
      next += chunk;
      chunk = Math.min(limit - rows.length, POINT_READ_MAX);
    }
    return rows;
  }

  private async fillHole(bucket: string, seq: number): Promise<boolean> {
    try {
      await this.changes.insertOne({
        _id: `${bucket}:${seq}`,
        bucket,
        seq,
        type: 'noop',
        id: '',
        rev: 0,
        doc: null,
        at: new Date(),
      });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return true; // the late writer (or another reader) got there
      throw error;
    }
  }

  /** Applies an update to one row (bumping its rev) and logs the resulting version. */
  async updateAndLog<Row extends LoggedRow>(
    collection: Collection<Row>,
    filter: Filter<Row>,
    update: UpdateFilter<Row>,
    toChange: ChangeOf<Row>,
  ): Promise<Row | null> {
    const merged = { ...update, $inc: { ...(update.$inc ?? {}), rev: 1 } } as unknown as UpdateFilter<Row>;
    const rowId = (filter as { _id?: unknown })._id;
    if (typeof rowId !== 'string') throw new Error('updateAndLog names its row by _id');
    // See KeyedLock for why one process's updates of a row are serialised.
    return this.rowLock.run(collection, rowId, async () => {
      const intent = await this.openIntent(collection, rowId);
      const row = (await collection.findOneAndUpdate(filter, merged, { returnDocument: 'after' })) as Row | null;
      if (row) await this.logRow(row, toChange);
      await this.closeIntent(intent);
      return row;
    });
  }

  /** Inserts a new row (rev 1) and logs it. Throws the driver's duplicate-key error unchanged. */
  async insertAndLog<Row extends LoggedRow>(
    collection: Collection<Row>,
    row: Row,
    toChange: ChangeOf<Row>,
  ): Promise<Row> {
    const stored = { ...row, rev: 1 } as Row;
    const intent = await this.openIntent(collection, row._id);
    try {
      await this.rowInserter(collection).write(stored);
    } catch (error) {
      await this.closeIntent(intent);
      throw error;
    }
    await this.logRow(stored, toChange);
    await this.closeIntent(intent);
    return stored;
  }

  private rowInserter<Row extends LoggedRow>(collection: Collection<Row>): GroupWriter<Document, true> {
    let writer = this.rowInserts.get(collection.collectionName);
    if (!writer) {
      writer = new GroupWriter((rows) => insertEach(collection as unknown as Collection<Document>, rows));
      this.rowInserts.set(collection.collectionName, writer);
    }
    return writer;
  }

  /** Logs a row's current version. */
  async logRow<Row extends LoggedRow>(row: Row, toChange: ChangeOf<Row>): Promise<void> {
    const change = toChange(row);
    await this.append(change.bucket, { type: change.type, id: change.id, rev: row.rev, doc: change.doc });
  }

  /**
   * Records, before a row is written, that its change is owed. Written first and removed last, so
   * a crash anywhere in between leaves it for `repairPending`; a crash before the row write only
   * costs a repeat of the row's current version, which devices treat as the same rev again.
   */
  private async openIntent(collection: { collectionName: string }, rowId: string): Promise<string> {
    const _id = randomUUID();
    await this.intentInserts.write({ _id, coll: collection.collectionName, rowId, at: new Date() });
    return _id;
  }

  private async closeIntent(intentId: string): Promise<void> {
    await this.intentDeletes.write(intentId);
  }

  /**
   * Re-logs the rows of `collection` whose write may have landed without its change (a crash in
   * between): those with an intent older than `olderThanMs` — a younger one is a writer still at
   * work. Reads only the intents, which hold in-flight and crashed writes, never the rows at large.
   */
  async repairPending<Row extends LoggedRow>(
    collection: Collection<Row>,
    toChange: ChangeOf<Row>,
    olderThanMs = this.gapTimeoutMs,
  ): Promise<number> {
    const stale = await this.intents
      .find({ coll: collection.collectionName, at: { $lt: new Date(Date.now() - olderThanMs) } })
      .limit(1000)
      .toArray();
    let relogged = 0;
    for (const rowId of new Set(stale.map((intent) => intent.rowId))) {
      const row = (await collection.findOne({ _id: rowId } as Filter<Row>)) as Row | null;
      // No row: the process died before its insert landed, so there is nothing to announce.
      if (row) {
        await this.logRow(row, toChange);
        relogged += 1;
      }
    }
    for (const intent of stale) await this.closeIntent(intent._id);
    return relogged;
  }
}
