import { MAX_PUSH_BATCH } from '@gatehouse/protocol';

/** How long one push may take before the device gives up on it (the server keeps applying it). */
export const PUSH_TIMEOUT_MS = 60_000;
const START = 100;
const MIN = 10;
/** A push answered faster than this may carry twice as much next time. */
const QUICK_MS = 2_000;

/**
 * Sizes push batches by how the server keeps up (additive backlog, multiplicative back-off). A
 * batch that timed out is still being applied on the server; sending the same 500 mutations again
 * would only queue behind it (each waits on its claim), so the next attempt sends half as many and
 * the device gets answers, and progress, sooner. Quick answers double the size again, so a
 * 10,000-check-in backlog on a fast server goes in full batches.
 */
export class PushBatchSizer {
  private size = START;

  get next(): number {
    return this.size;
  }

  answered(elapsedMs: number, sent: number): void {
    if (elapsedMs < QUICK_MS && sent >= this.size) this.size = Math.min(MAX_PUSH_BATCH, this.size * 2);
  }

  timedOut(): void {
    this.size = Math.max(MIN, Math.floor(this.size / 2));
  }
}
