import { parseBucket } from '@gatehouse/protocol';
import type { ChangeFeed, CommittedChange } from '../port';
import type { ChangeRow } from '../rows';
import type { ChangeLog } from './changelog';
import type { MongoStoreLog } from './context';
import type { Recounts } from './recounts';

/** How often the one poller per store looks for commits made by other server processes. */
export const DEFAULT_WATCH_POLL_MS = 50;
/** Commits are looked for this far back, so clock differences between server processes cannot hide one. */
const POLL_OVERLAP_MS = 5_000;
/** Counters read per poll at most. */
const POLL_BATCH = 10_000;

type Listener = (change: CommittedChange) => void;

/**
 * The change feed: gap-free reads of the change log, and commit notifications — this process's
 * commits from the change log's `committed` event at once, other processes' from ONE poller per
 * store on the `buckets` counters, whose `updatedAt` a writer moves only after its change is
 * readable (changelog.ts). The poller starts with the first watcher and stops when the store closes.
 */
export class MongoChangeFeed implements ChangeFeed {
  private readonly listeners = new Set<Listener>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | null = null;
  private started = false;
  private stopped = false;
  /** Last counter stamp seen per bucket by the poller. */
  private readonly seenStamps = new Map<string, number>();
  private lastPollAt = Date.now();
  private readonly onCommitted = (change: CommittedChange) => this.notify(change);

  constructor(
    private readonly changeLog: ChangeLog,
    private readonly recounts: Recounts,
    private readonly log: MongoStoreLog,
    private readonly pollMs = DEFAULT_WATCH_POLL_MS,
  ) {}

  async read(bucket: string, afterSeq: number, limit: number): Promise<{ changes: ChangeRow[]; upTo: number }> {
    await this.settled([bucket]);
    return this.changeLog.read(bucket, afterSeq, limit);
  }

  /** Parsed docs, as `read`: the driver hands BSON decoded to objects, so there is no stored text to reuse. */
  readForPull(bucket: string, afterSeq: number, limit: number): Promise<{ changes: ChangeRow[]; upTo: number }> {
    return this.read(bucket, afterSeq, limit);
  }

  async heads(buckets: string[]): Promise<Map<string, number>> {
    await this.settled(buckets);
    return this.changeLog.heads(buckets);
  }

  /**
   * Read-your-writes for the feed as for `events.findById`: the seat recount a booking write of
   * this process started is logged before its event's bucket is read (a map lookup when none runs).
   */
  private async settled(buckets: string[]): Promise<void> {
    const waits: Array<Promise<void>> = [];
    for (const bucket of buckets) {
      const parsed = parseBucket(bucket);
      if (parsed?.kind === 'event') waits.push(this.recounts.settled(parsed.id));
    }
    if (waits.length > 0) await Promise.all(waits);
  }

  watch(listener: Listener): () => void {
    this.listeners.add(listener);
    if (!this.started && !this.stopped) {
      this.started = true;
      this.lastPollAt = Date.now();
      this.changeLog.events.on('committed', this.onCommitted);
      this.schedulePoll();
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Stops the poller, letting a poll in flight finish (store close). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.changeLog.events.off('committed', this.onCommitted);
    clearTimeout(this.pollTimer);
    await this.polling;
    this.listeners.clear();
  }

  private notify(change: CommittedChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (error) {
        this.log.warn({ err: error }, 'a change watcher failed');
      }
    }
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.pollTimer = setTimeout(() => {
      this.polling = this.poll()
        .catch((error: unknown) => {
          if (!this.stopped) this.log.warn({ err: error }, 'change poller failed; retrying');
        })
        .finally(() => {
          this.polling = null;
          this.schedulePoll();
        });
    }, this.pollMs);
    this.pollTimer.unref();
  }

  /** Finds commits by other processes: counters whose `updatedAt` moved to a stamp this process did not write. */
  private async poll(): Promise<void> {
    const startedAt = Date.now();
    const since = this.lastPollAt - POLL_OVERLAP_MS;
    if (this.listeners.size > 0) {
      const counters = await this.changeLog.counters
        .find({ updatedAt: { $gt: new Date(since) } }, { projection: { committedSeq: 1, updatedAt: 1 } })
        .limit(POLL_BATCH)
        .toArray();
      for (const counter of counters) {
        if (!counter.updatedAt) continue;
        const stamp = counter.updatedAt.getTime();
        if (this.seenStamps.get(counter._id) === stamp) continue;
        this.seenStamps.set(counter._id, stamp);
        if (this.changeLog.localCommitStamps.get(counter._id) === stamp) continue;
        if (counter.committedSeq) this.notify({ bucket: counter._id, seq: counter.committedSeq });
      }
    }
    this.lastPollAt = startedAt;
    this.prune(since);
  }

  private prune(since: number): void {
    for (const [bucket, stamp] of this.seenStamps) if (stamp < since) this.seenStamps.delete(bucket);
    const stamps = this.changeLog.localCommitStamps;
    for (const [bucket, stamp] of stamps) if (stamp < since) stamps.delete(bucket);
  }
}
