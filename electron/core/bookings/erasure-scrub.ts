import { ERASED_ATTENDEE_NAME } from '@gatehouse/protocol';
import type { Db } from '../db/open';

/** What one scrub did: bookings whose erasure it finished, and whether the WAL could be emptied. */
export type ScrubOutcome = { bookings: number; walTruncated: boolean };

/**
 * Makes an erasure (#20) leave this device's disk, not only its rows. The pull replaces an erased
 * booking's doc and words like any update, but SQLite and FTS5 keep the old bytes around:
 * - FTS5 (contentless_delete, migration 002) only marks a deleted row's words as deleted; the
 *   words stay in the index's segments until a merge. `optimize` merges every segment into one,
 *   dropping what was marked.
 * - A freed page or cell keeps its bytes unless `secure_delete` is on, which openDatabase sets
 *   for every connection (so the rewritten row, the merged-away segments and the freed pages are
 *   zeroed as SQLite lets go of them).
 * - The WAL holds earlier versions of the pages until it is overwritten; a TRUNCATE checkpoint
 *   copies the new versions into the database file and cuts the WAL to zero bytes.
 * Also rewrites the refused changes this device lists (rejected_mutations) that named the guest.
 *
 * Bookings to scrub are noted by migration 016's trigger in the pull's own transaction. A note is
 * removed only after a WAL truncate succeeded (another connection reading, or the checkpoint
 * worker's own checkpoint, blocks it), so the scrub is tried again until it has been done: soon
 * after (the caller's retry), at the next data change, or at the next open.
 */
export class ErasureScrub {
  private readonly pending;
  private readonly anyPending;
  private readonly forget;
  private readonly rewriteRejected;
  /** Noted bookings the index was merged for already: a retry after a busy WAL does not merge it again. */
  private readonly merged = new Set<string>();

  constructor(private readonly db: Db) {
    this.pending = db.prepare('SELECT booking_id FROM erasures_to_scrub').pluck();
    this.anyPending = db.prepare('SELECT 1 FROM erasures_to_scrub LIMIT 1').pluck();
    this.forget = db.prepare('DELETE FROM erasures_to_scrub WHERE booking_id = ?');
    this.rewriteRejected = db.prepare(
      `UPDATE rejected_mutations
       SET guest_name = CASE WHEN guest_name IS NULL THEN NULL ELSE @name END,
         args = CASE WHEN json_extract(args, '$.attendee') IS NULL THEN args
           ELSE json_set(args, '$.attendee', json_object('name', @name)) END
       WHERE json_extract(args, '$.bookingId') = @bookingId`,
    );
  }

  /** Whether an erasure stored here awaits its scrub (one index probe: cheap after every pull page). */
  due(): boolean {
    return this.anyPending.get() !== undefined;
  }

  /**
   * Scrubs every noted erasure: rewrites refused changes, merges the search index (cost grows with
   * the index: the whole index is rewritten), then checkpoints with TRUNCATE. Synchronous; the
   * caller runs it between pull pages.
   */
  run(): ScrubOutcome {
    const ids = this.pending.all() as string[];
    if (ids.length === 0) return { bookings: 0, walTruncated: true };
    // Refused changes are rewritten on every attempt: one answered since the last could name the guest.
    const merge = ids.some((bookingId) => !this.merged.has(bookingId));
    this.db.transaction(() => {
      for (const bookingId of ids) this.rewriteRejected.run({ name: ERASED_ATTENDEE_NAME, bookingId });
      if (merge) this.db.exec(`INSERT INTO bookings_words (bookings_words) VALUES ('optimize')`);
    })();
    for (const bookingId of ids) this.merged.add(bookingId);
    if (!this.truncateWal()) return { bookings: 0, walTruncated: false };
    // The notes go in a commit of their own after the truncate: what that WAL holds names no one.
    this.db.transaction(() => {
      for (const bookingId of ids) this.forget.run(bookingId);
    })();
    for (const bookingId of ids) this.merged.delete(bookingId);
    this.truncateWal();
    return { bookings: ids.length, walTruncated: true };
  }

  /**
   * Never waits: a WAL in use answers false at once and the caller tries again later, instead of
   * holding the core's event loop — and a scan at the door — for up to busy_timeout (5 s) behind a
   * reader. (Another connection's checkpoint makes it answer busy at once anyway.)
   */
  private truncateWal(): boolean {
    const timeoutMs = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return result?.busy === 0;
    } finally {
      this.db.pragma(`busy_timeout = ${timeoutMs}`);
    }
  }
}
