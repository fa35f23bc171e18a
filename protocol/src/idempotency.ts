import { z } from 'zod';

/**
 * Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-header): a client names one action with
 * a key of its own choosing and sends it with every attempt of that action, so a retry after a lost
 * answer is answered, not done again. Routes that create something declare `idempotent: true`
 * (routing.ts); the server honours the header on every such route (sync-server/src/http/idempotency.ts).
 */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** 8–128 characters of `A–Z a–z 0–9 _ -` (a UUID fits). */
export const idempotencyKeySchema = z
  .string()
  .min(8)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/);

/** Set on an answer that replays the first answer to a key rather than doing the request again. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

/** How long the server remembers a key and its answer, from the first request (hours). */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

/** The rules of the header as the OpenAPI document states them on every idempotent route. */
export const IDEMPOTENCY_KEY_DESCRIPTION =
  'Optional. A key you choose for this one action (8–128 of A–Z a–z 0–9 _ -; a UUID fits), sent again ' +
  'with every retry of it. A retry with the same key, route and body gets the first answer again — same ' +
  `status and body, with \`${IDEMPOTENT_REPLAYED_HEADER}: true\` — and creates nothing more. Keys are per ` +
  `user and remembered for ${IDEMPOTENCY_KEY_TTL_HOURS} hours. The same key with another body or route is ` +
  '422 IDEMPOTENCY_KEY_REUSED. A retry while the first request is still running waits for its answer; ' +
  'after ~10 s it is 409 IDEMPOTENCY_KEY_IN_PROGRESS (retry later). A request that failed is not ' +
  'remembered: it created nothing, and a retry runs afresh.';

/** The request headers of an idempotent route: the key, documented. */
export const idempotencyHeadersSchema = z.object({
  [IDEMPOTENCY_KEY_HEADER]: idempotencyKeySchema.optional().describe(IDEMPOTENCY_KEY_DESCRIPTION),
});
