import type { ChangeRow, PulledChange } from '../rows';

export type CommittedChange = { bucket: string; seq: number };

export interface ChangeFeed {
  /**
   * Up to `limit` changes of `bucket` after `afterSeq`, in seq order and gap-free: never past a
   * seq that may still appear. `upTo` is where a reader's cursor may move (no-op entries are
   * skipped but counted).
   */
  read(bucket: string, afterSeq: number, limit: number): Promise<{ changes: ChangeRow[]; upTo: number }>;
  /**
   * `read` for a pull answer: the same changes and `upTo`, each doc as its stored JSON text where the
   * adapter keeps one (SQLite: `docJson`, no parse per change), or parsed (`doc`, MongoDB).
   */
  readForPull(bucket: string, afterSeq: number, limit: number): Promise<{ changes: PulledChange[]; upTo: number }>;
  /** The highest seq of each bucket (0 for one with no changes); an estimate for progress. */
  heads(buckets: string[]): Promise<Map<string, number>>;
  /**
   * Calls `listener` after changes become readable: those of this process at once, those of
   * other processes on the same database within a poll interval. Returns the unsubscribe.
   */
  watch(listener: (change: CommittedChange) => void): () => void;
}
