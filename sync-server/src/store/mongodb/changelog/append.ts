import type { EventEmitter } from 'node:events';
import type { Collection, Document } from 'mongodb';
import type { CommittedChange } from '../../port';
import type { PendingChange } from '../../wire';
import { writeErrorsOf } from '../batching';
import type { MongoCapabilities } from '../capabilities';
import type { ChangeLogReader } from '../changelog-reader';
import { isDuplicateKeyError } from '../errors';
import { sleep } from '../queries';
import { MAX_GROUP_COMMIT, type AppendInput, type BucketCounter, type ChangeDoc } from './types';

type QueuedAppend = { change: AppendInput; resolve: (seq: number) => void; reject: (error: unknown) => void };

/**
 * Appends changes to their buckets' logs: seqs from the bucket counters, group commit, the commit
 * mark other processes' watchers follow (ChangeLog's class comment tells why this order is safe).
 */
export class ChangeAppender {
  private readonly appendQueues = new Map<string, QueuedAppend[]>();

  constructor(
    private readonly changes: Collection<ChangeDoc>,
    private readonly counters: Collection<BucketCounter>,
    private readonly capabilities: MongoCapabilities,
    private readonly reader: ChangeLogReader,
    /** ChangeLog.events: `committed` after each append, once readable. */
    private readonly events: EventEmitter,
    /** ChangeLog.localCommitStamps, written here. */
    private readonly localCommitStamps: Map<string, number>,
  ) {}

  /**
   * Appends a change to its bucket's log and resolves with its seq once it is readable.
   *
   * Group commit: appends that queue for a bucket while its previous group is being written go
   * together — one counter step of N, one insertMany, one commit mark. Within a process this removes
   * contention on the counter entirely and turns 3·N round trips into 3. Seqs that still collide
   * (another process) take the one-by-one path.
   */
  append(change: PendingChange): Promise<number> {
    return this.appendMany([change]).then((seqs) => seqs[0]!);
  }

  /**
   * Appends several changes at once (a push's run of check-ins, an import's rows): all are queued
   * before their buckets' next group goes out, so n changes of one bucket cost one counter step of
   * n, one insertMany and one commit mark — not a first group of one and then the rest. Resolves
   * with their seqs in order; rejects if any append failed.
   */
  appendMany(changes: PendingChange[]): Promise<number[]> {
    const idle: string[] = [];
    const seqs = changes.map(({ bucket, ...rest }) => {
      return new Promise<number>((resolve, reject) => {
        let queue = this.appendQueues.get(bucket);
        if (!queue) {
          this.appendQueues.set(bucket, (queue = []));
          idle.push(bucket);
        }
        queue.push({ change: rest, resolve, reject });
      });
    });
    for (const bucket of idle) void this.flushAppends(bucket);
    return Promise.all(seqs);
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
}
