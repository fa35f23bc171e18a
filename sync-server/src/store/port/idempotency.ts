/** The answer a request with an Idempotency-Key gave, replayed to its retries: status and JSON body text. */
export type IdempotentAnswer = { status: number; body: string };

/**
 * A taken key: the request it was taken for (`requestHash`), the id that request creates under
 * (`resourceId`), when it was taken (ms since epoch), and its answer once it has one.
 */
export type IdempotencyClaim =
  | { kind: 'new' }
  | {
      kind: 'existing';
      requestHash: string;
      resourceId: string;
      createdAtMs: number;
      answer: IdempotentAnswer | null;
    };

/**
 * Idempotency-Key claims of the routes that declare `idempotent` (http/idempotency.ts), keyed
 * `<userId>:<key>`. Adapters forget claims some time after `createdAtMs` (IDEMPOTENCY_KEY_TTL_HOURS;
 * the MongoDB TTL index, the SQLite purge); until then the caller judges expiry itself.
 */
export interface IdempotencyRepository {
  /** Claims `key` for a request creating under `resourceId` unless it is taken; a taken key answers what holds it. */
  claim(key: string, requestHash: string, resourceId: string, nowMs: number): Promise<IdempotencyClaim>;
  /** Records the answer of the claim if it still names `resourceId`. */
  complete(key: string, resourceId: string, answer: IdempotentAnswer): Promise<void>;
  /** Releases the claim if it still names `resourceId`. */
  release(key: string, resourceId: string): Promise<void>;
}
