import type Database from 'better-sqlite3';
import type { ChangeFeed } from '../port';
import type { ChangeRow, StoredChange } from '../rows';
import type { PendingChange } from '../wire';
import type { SqliteDatabase } from './database';
import { MultiRowInsert } from './sql';

/** Changes inserted per statement by appendMany (6 values each, far below SQLite's variable limit). */
const ROWS_PER_INSERT = 100;

type ChangeRecord = { seq: number; type: ChangeRow['type']; id: string; rev: number; doc: string | null };
/** A `ChangeRecord` as a raw row (an array, in the SELECT's column order): no object per row to build. */
type RawChangeRecord = [seq: number, type: ChangeRow['type'], id: string, rev: number, doc: string | null];

/**
 * The change log. A writer appends inside its own transaction: the bucket's counter steps by one
 * and the change is inserted under that seq, so seqs are allocated and published together (one
 * writer at a time, rolled back together) and a bucket never has a hole. A reader therefore reads
 * a plain range of the (bucket, seq) primary key.
 */
export class ChangeLog {
  private readonly nextSeq: Database.Statement<[string], { seq: number }>;
  private readonly insert: Database.Statement<[string, number, string, string, number, string | null]>;
  private readonly reserveSeqs: Database.Statement<[string, number], { seq: number }>;
  private readonly insertMany: MultiRowInsert;
  private readonly page: Database.Statement<[string, number, number], ChangeRecord>;
  private readonly rawPage: Database.Statement<[string, number, number], RawChangeRecord>;
  private readonly head: Database.Statement<[string], { seq: number }>;
  private readonly headsOf: Database.Statement<[string], { bucket: string; seq: number }>;

  constructor(private readonly database: SqliteDatabase) {
    const { db } = database;
    this.nextSeq = db.prepare(
      `INSERT INTO buckets (bucket, seq) VALUES (?, 1)
       ON CONFLICT (bucket) DO UPDATE SET seq = seq + 1
       RETURNING seq`,
    );
    this.insert = db.prepare('INSERT INTO changes (bucket, seq, type, id, rev, doc) VALUES (?, ?, ?, ?, ?, ?)');
    // Steps the counter by n at once and answers the last seq taken: seqs last - n + 1 … last are the caller's.
    this.reserveSeqs = db.prepare(
      `INSERT INTO buckets (bucket, seq) VALUES (?, ?)
       ON CONFLICT (bucket) DO UPDATE SET seq = seq + excluded.seq
       RETURNING seq`,
    );
    this.insertMany = new MultiRowInsert(db, 'INSERT INTO changes (bucket, seq, type, id, rev, doc) VALUES', 6, '');
    this.page = db.prepare(
      'SELECT seq, type, id, rev, doc FROM changes WHERE bucket = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.rawPage = db
      .prepare<[string, number, number], RawChangeRecord>(
        'SELECT seq, type, id, rev, doc FROM changes WHERE bucket = ? AND seq > ? ORDER BY seq LIMIT ?',
      )
      .raw();
    this.head = db.prepare('SELECT seq FROM buckets WHERE bucket = ?');
    this.headsOf = db.prepare('SELECT bucket, seq FROM buckets WHERE bucket IN (SELECT value FROM json_each(?))');
  }

  /** Appends `change` under its bucket's next seq; call inside a transaction. Returns the seq. */
  append(change: PendingChange): number {
    if (!this.database.db.inTransaction) throw new Error('ChangeLog.append outside a transaction');
    const { seq } = this.nextSeq.get(change.bucket)!;
    this.insert.run(
      change.bucket,
      seq,
      change.type,
      change.id,
      change.rev,
      change.doc === null ? null : JSON.stringify(change.doc),
    );
    this.database.noteAppended({ bucket: change.bucket, seq });
    return seq;
  }

  /**
   * Appends `changes` in their order, as `append` one by one would, with one counter step per bucket
   * and one insert statement per ROWS_PER_INSERT changes; call inside a transaction. Returns each
   * change's seq, in order.
   */
  appendMany(changes: readonly PendingChange[]): number[] {
    if (!this.database.db.inTransaction) throw new Error('ChangeLog.appendMany outside a transaction');
    if (changes.length === 0) return [];
    const counts = new Map<string, number>();
    for (const change of changes) counts.set(change.bucket, (counts.get(change.bucket) ?? 0) + 1);
    // The next seq to give in each bucket.
    const next = new Map<string, number>();
    for (const [bucket, count] of counts) {
      const last = this.reserveSeqs.get(bucket, count)!.seq;
      next.set(bucket, last - count + 1);
      this.database.noteAppended({ bucket, seq: last });
    }
    const seqs = changes.map((change) => {
      const seq = next.get(change.bucket)!;
      next.set(change.bucket, seq + 1);
      return seq;
    });
    for (let start = 0; start < changes.length; start += ROWS_PER_INSERT) {
      const slice = changes.slice(start, start + ROWS_PER_INSERT);
      const values: unknown[] = [];
      slice.forEach((change, index) => {
        values.push(
          change.bucket,
          seqs[start + index],
          change.type,
          change.id,
          change.rev,
          change.doc === null ? null : JSON.stringify(change.doc),
        );
      });
      this.insertMany.forRows(slice.length).run(...values);
    }
    return seqs;
  }

  read(bucket: string, afterSeq: number, limit: number): { changes: ChangeRow[]; upTo: number } {
    const records = limit > 0 ? this.page.all(bucket, afterSeq, limit) : [];
    const changes = records.map((record): ChangeRow => ({
      bucket,
      seq: record.seq,
      type: record.type,
      id: record.id,
      rev: record.rev,
      doc: record.doc === null ? null : (JSON.parse(record.doc) as unknown),
    }));
    return { changes, upTo: changes.length > 0 ? changes[changes.length - 1]!.seq : afterSeq };
  }

  /**
   * `read` with each doc left as its stored JSON text (`append` wrote it with JSON.stringify), for
   * a pull page assembled from the text: parsing it here only to serialize it again was most of the
   * server's CPU per pulled page (docs/BENCHMARKS.md, "Where the time goes").
   */
  readStored(bucket: string, afterSeq: number, limit: number): { changes: StoredChange[]; upTo: number } {
    const records = limit > 0 ? this.rawPage.all(bucket, afterSeq, limit) : [];
    const changes = records.map(([seq, type, id, rev, docJson]): StoredChange => ({
      bucket,
      seq,
      type,
      id,
      rev,
      docJson,
    }));
    return { changes, upTo: changes.length > 0 ? changes[changes.length - 1]!.seq : afterSeq };
  }

  heads(buckets: string[]): Map<string, number> {
    const heads = new Map<string, number>(buckets.map((bucket) => [bucket, 0]));
    if (buckets.length === 1) {
      heads.set(buckets[0]!, this.head.get(buckets[0]!)?.seq ?? 0);
    } else if (buckets.length > 1) {
      for (const row of this.headsOf.all(JSON.stringify(buckets))) heads.set(row.bucket, row.seq);
    }
    return heads;
  }
}

/** The port's feed over the log; `watch` hears this process's commits, which are all of them. */
export function changeFeed(database: SqliteDatabase, log: ChangeLog): ChangeFeed {
  return {
    read: (bucket, afterSeq, limit) => database.read(() => log.read(bucket, afterSeq, limit)),
    readForPull: (bucket, afterSeq, limit) => database.read(() => log.readStored(bucket, afterSeq, limit)),
    heads: (buckets) => database.read(() => log.heads(buckets)),
    watch: (listener) => database.watch(listener),
  };
}
