import { LEGACY_MAX_PUSH_BATCH, MAX_PUSH_BATCH } from '@gatehouse/protocol';

/** How long one push may take before the device gives up on it (the server keeps applying it). */
export const PUSH_TIMEOUT_MS = 60_000;
const START = 100;
const MIN = 10;
/** A push answered faster than this may carry twice as much next time. */
const QUICK_MS = 2_000;
/**
 * Most bytes of stored mutation JSON (args and meta) in one push: well inside the server's 1 MiB
 * body limit, so 2,000 check-ins (~300 bytes each) go in one push, and large edits in fewer.
 */
export const PUSH_MAX_BYTES = 640 * 1024;

/**
 * Sizes push batches by how the server keeps up (additive backlog, multiplicative back-off). A
 * batch that timed out is still being applied on the server; sending the same 500 mutations again
 * would only queue behind it (each waits on its claim), so the next attempt sends half as many and
 * the device gets answers, and progress, sooner. Quick answers double the size again, so a
 * 10,000-check-in backlog on a fast server goes in full batches.
 */
export class PushBatchSizer {
  private size = START;
  private limit = MAX_PUSH_BATCH;

  get next(): number {
    return this.size;
  }

  answered(elapsedMs: number, sent: number): void {
    if (elapsedMs < QUICK_MS && sent >= this.size) this.size = Math.min(this.limit, this.size * 2);
  }

  /**
   * The server refused the push as too large (413): one from before the limit grew, or a body over
   * its byte limit. Never more than the old limit from then on, and half of what was sent.
   */
  tooLarge(sent: number): void {
    this.limit = LEGACY_MAX_PUSH_BATCH;
    this.size = Math.max(MIN, Math.min(LEGACY_MAX_PUSH_BATCH, Math.floor(sent / 2)));
  }

  timedOut(): void {
    this.size = Math.max(MIN, Math.floor(this.size / 2));
  }
}
