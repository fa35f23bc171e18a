import { GatehouseError, type PushResponse, routes } from '@gatehouse/protocol';
import type { ServerApi } from '../api/client';
import type { AccountStore } from '../store';
import { PUSH_TIMEOUT_MS, PushBatchSizer } from './batch-size';
import type { PushBatch } from './push-read-ahead';

/** A push on the wire: its batch, and its answer (null: refused as too large, nothing applied). */
export type InFlightPush = { batch: PushBatch; answer: Promise<PushResponse | null> };

/** A 413: a server from before MAX_PUSH_BATCH grew, or a body over its byte limit. */
function tooLarge(error: unknown): boolean {
  return error instanceof GatehouseError && (error.code === 'BATCH_TOO_LARGE' || error.code === 'PAYLOAD_TOO_LARGE');
}

/**
 * Sends push batches and sizes them by how the server answers (PushBatchSizer). The engine's push
 * lane decides what to send and when; this owns one request's life.
 */
export class PushSender {
  private readonly sizer = new PushBatchSizer();

  constructor(
    private readonly store: AccountStore,
    private readonly api: ServerApi,
  ) {}

  /** How many mutations the next batch may carry: the sizer's, within the limit the server last stated. */
  nextSize(): number {
    this.sizer.serverLimit(this.api.maxPushBatch);
    return this.sizer.next;
  }

  /**
   * Asks the server's range when no answer has said it yet (ServerApi.ensureCompatible), so the
   * push limit it states sizes even a device's first batch; true when that changed the limit
   * known (the batch read before should be read again). Throws as ensureCompatible does:
   * PROTOCOL_UNSUPPORTED (nothing sent) or OFFLINE.
   */
  async learnLimit(): Promise<boolean> {
    const known = this.api.maxPushBatch;
    await this.api.ensureCompatible();
    return this.api.maxPushBatch !== known;
  }

  /**
   * Sends one batch; resolves once the request is made. Its answer is null when the server refused
   * it as too large (nothing applied; the next batch is smaller), else the server's response; it
   * rejects with the request's error (GatehouseError codes as `ServerApi.call` raises them).
   * Resolves one turn of the event loop after the request is made (fetch writes it once the calling
   * task ends), having counted it as an attempt of each entry while the server works.
   */
  async send(batch: PushBatch): Promise<InFlightPush> {
    // Never send mutations to a server that cannot read this device's protocol version.
    await this.api.ensureCompatible();
    const started = Date.now();
    const sent = batch.entries.length;
    const answer = this.api.call(routes['sync.push'], { body: batch.body }, { timeoutMs: PUSH_TIMEOUT_MS }).then(
      (response) => {
        this.sizer.answered(Date.now() - started, sent);
        return response;
      },
      (error: unknown) => {
        // Unanswered for the whole timeout: the server is slow, not gone; send less next time.
        if (Date.now() - started >= PUSH_TIMEOUT_MS * 0.9) this.sizer.timedOut();
        if (tooLarge(error) && sent > 1) {
          this.sizer.tooLarge(sent);
          return null;
        }
        throw error;
      },
    );
    answer.catch(() => undefined); // awaited by the push lane; never an unhandled rejection meanwhile
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.store.outbox.markAttempted(batch.entries);
    return { batch, answer };
  }
}
