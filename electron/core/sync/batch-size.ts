import { LEGACY_MAX_PUSH_BATCH, MAX_PUSH_BATCH } from '@gatehouse/protocol';

/** How long one push may take before the device gives up on it (the server keeps applying it). */
export const PUSH_TIMEOUT_MS = 60_000;
/**
 * The first batch when the server has not stated its limit (MAX_PUSH_BATCH_HEADER): what every
 * server takes (the old limit, so a server from before MAX_PUSH_BATCH grew never answers it 413),
 * and well under a second at the rates the README's push_backlog shows (10,000 in ~1.1 s on
 * SQLite, ~3.4 s on MongoDB). A server that states its limit gets full batches from the first
 * (serverLimit). Starting at 100 cost a backlog of thousands a round trip more before batches were
 * full; a single scan's push is one mutation whatever this is. A server slow enough for 500 to time
 * out halves it (timedOut), as before.
 */
const START = LEGACY_MAX_PUSH_BATCH;
const MIN = 10;
/** A push answered faster than this may carry more next time: twice as much, or more (TARGET_MS). */
const QUICK_MS = 2_000;
/**
 * What a quick answer's rate is scaled to: a server that applied 100 mutations in 20 ms is sent as
 * many as it applies in this long next (capped by the protocol), rather than doubling five times.
 */
const TARGET_MS = 1_000;
/**
 * Most bytes of a push body (its envelopes as sent, UTF-8; `push-read-ahead.ts` cuts there): well
 * inside the server's 1 MiB body limit (BODY_LIMIT_BYTES, sync-server/src/app.ts), and room for
 * 2,000 check-ins (~350 bytes each on the wire) in one push, which 640 KiB of stored args and meta
 * (the cut before) was not: a 10,000 backlog took a push more for its last ~100.
 */
export const PUSH_MAX_BYTES = 900 * 1024;

/**
 * Sizes push batches by how the server keeps up (additive backlog, multiplicative back-off). A
 * batch that timed out is still being applied on the server; sending the same 500 mutations again
 * would only queue behind it (each waits on its claim), so the next attempt sends half as many and
 * the device gets answers, and progress, sooner. Quick answers grow the size again (by the rate
 * they show), so a 10,000-check-in backlog on a fast server goes in full batches after the first —
 * from the first with a server that states its limit (serverLimit).
 */
export class PushBatchSizer {
  private size = START;
  /** The most this device sends: MAX_PUSH_BATCH, or the old limit once a push was refused as too large. */
  private ceiling = MAX_PUSH_BATCH;
  /** The limit the server states in its latest answer (null: none stated). */
  private stated: number | null = null;
  /** A timeout or a 413 made the size smaller: a stated limit no longer sets it, only caps it. */
  private backedOff = false;

  get next(): number {
    return this.size;
  }

  private get limit(): number {
    return this.stated === null ? this.ceiling : Math.min(this.ceiling, this.stated);
  }

  /**
   * The limit the server states (ServerApi.maxPushBatch; null: none stated, as a server from before
   * the header). It caps every batch, and until a timeout or a 413 has made batches smaller, the
   * next batch is that large: a backlog goes in full batches from the first push.
   */
  serverLimit(stated: number | null): void {
    const before = this.stated;
    this.stated = stated;
    if (stated === null) {
      // It stated one before (a server rolled back, or an older one behind the same address): what every server takes.
      if (before !== null && !this.backedOff) this.size = START;
      return;
    }
    this.size = this.backedOff ? Math.min(this.size, this.limit) : this.limit;
  }

  /** A full batch answered quickly grows the next: at least twice, else to TARGET_MS at its rate. */
  answered(elapsedMs: number, sent: number): void {
    if (elapsedMs >= QUICK_MS || sent < this.size) return;
    const atRate = Math.floor((sent * TARGET_MS) / Math.max(elapsedMs, 1));
    this.size = Math.min(this.limit, Math.max(this.size * 2, atRate));
  }

  /**
   * The server refused the push as too large (413): one from before the limit grew, or a body over
   * its byte limit. Never more than the old limit from then on, and half of what was sent.
   */
  tooLarge(sent: number): void {
    this.ceiling = LEGACY_MAX_PUSH_BATCH;
    this.size = Math.max(MIN, Math.min(LEGACY_MAX_PUSH_BATCH, Math.floor(sent / 2)));
    this.backedOff = true;
  }

  timedOut(): void {
    this.size = Math.max(MIN, Math.floor(this.size / 2));
    this.backedOff = true;
  }
}
