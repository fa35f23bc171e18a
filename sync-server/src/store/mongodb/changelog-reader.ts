import type { ChangeType } from '@gatehouse/protocol';
import { LRUCache } from 'lru-cache';
import type { Collection } from 'mongodb';
import type { ChangeRow } from '../rows';
import type { MongoCapabilities } from './capabilities';
import type { BucketCounter, ChangeDoc } from './changelog';
import { isDuplicateKeyError } from './errors';

/** A reader at most this far behind reads the seqs it expects by `_id`; also the reads in flight at once. */
const POINT_READ_MAX = 64;
/** How long a head hint (from `heads` or this process's commits) picks the read strategy before it is asked again. */
const HINT_TTL_MS = 2_000;

/**
 * The read side of the change log (changelog.ts has the ordering argument): pages of a bucket that
 * stop at the first hole not yet known to be dead, filling a dead one with a no-op, and the
 * per-bucket head hints that size FerretDB's reads by `_id`.
 */
export class ChangeLogReader {
  private readonly headHints = new LRUCache<string, { seq: number; at: number }>({ max: 20_000 });

  constructor(
    private readonly changes: Collection<ChangeDoc>,
    private readonly counters: Collection<BucketCounter>,
    private readonly capabilities: MongoCapabilities,
    private readonly gapTimeoutMs: number,
  ) {}

  /** Raises the bucket's head hint after this process committed `seq` (ChangeLog.markCommitted). */
  noteHead(bucket: string, seq: number): void {
    const known = this.headHints.get(bucket);
    this.headHints.set(bucket, { seq: Math.max(seq, known?.seq ?? 0), at: Date.now() });
  }

  /** Each bucket's counter (0 when none): a hint, not a bound — on FerretDB it can lag the log. */
  async heads(buckets: string[]): Promise<Map<string, number>> {
    const heads = new Map<string, number>(buckets.map((bucket) => [bucket, 0]));
    if (buckets.length === 0) return heads;
    const counters = await this.counters
      .find({ _id: { $in: [...new Set(buckets)] } }, { projection: { seq: 1 } })
      .toArray();
    const now = Date.now();
    for (const counter of counters) {
      heads.set(counter._id, counter.seq);
      this.headHints.set(counter._id, { seq: counter.seq, at: now });
    }
    return heads;
  }

  /**
   * Up to `limit` changes after `afterSeq`, contiguous: the result stops before the first hole that
   * is not yet known to be dead. `upTo` is the seq a reader may advance its cursor to.
   */
  async read(bucket: string, afterSeq: number, limit: number): Promise<{ changes: ChangeRow[]; upTo: number }> {
    for (let pass = 0; pass < 3; pass++) {
      const rows = await this.fetchAfter(bucket, afterSeq, limit);
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
      if (!filledHole) {
        return {
          changes: contiguous
            .filter((change) => change.type !== 'noop')
            .map((change) => ({
              bucket: change.bucket,
              seq: change.seq,
              type: change.type as ChangeType,
              id: change.id,
              rev: change.rev,
              doc: change.doc,
            })),
          upTo: expected - 1,
        };
      }
    }
    return { changes: [], upTo: afterSeq };
  }

  /**
   * The bucket's changes after `afterSeq` in seq order, at most `limit`, possibly with holes.
   * Where ranges are indexed, one `(bucket, seq)` range read — one command however far behind.
   * Elsewhere (FerretDB reads the whole log for a range: every page of an initial sync of 100,000
   * bookings did) by `_id`: the seqs a reader nearly caught up expects, in parallel, then one past
   * them until the first missing one; a reader far behind, POINT_READ_MAX at a time. The head hint
   * only sizes the first round; the log, never the hint, decides the end.
   */
  private async fetchAfter(bucket: string, afterSeq: number, limit: number): Promise<ChangeDoc[]> {
    if (this.capabilities.rangeReadsUseIndex) {
      return this.changes
        .find({ bucket, seq: { $gt: afterSeq } })
        .sort({ seq: 1 })
        .limit(limit)
        .toArray();
    }
    const behind = Math.max(0, (await this.headHint(bucket)) - afterSeq);
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

  private async headHint(bucket: string): Promise<number> {
    const known = this.headHints.get(bucket);
    if (known && Date.now() - known.at < HINT_TTL_MS) return known.seq;
    const seq = (await this.counters.findOne({ _id: bucket }))?.seq ?? 0;
    this.headHints.set(bucket, { seq, at: Date.now() });
    return seq;
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
}
