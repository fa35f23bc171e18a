import { z } from 'zod';
import { defineRoute } from '../routing';
import {
  DEVICE_ID_HEADER,
  MAX_PUSH_BATCH,
  deviceIdSchema,
  pullQuerySchema,
  pullResponseSchema,
  pushResponseSchema,
} from '../sync';

const deviceHeaders = z.object({ [DEVICE_ID_HEADER]: deviceIdSchema });

/**
 * A push as the server checks it at the door: an object with a non-empty `mutations` array and
 * nothing else. Each item is a `pushMutationEnvelopeSchema` envelope, but items are checked one by
 * one by the push itself, so one malformed mutation is answered alone (VALIDATION_FAILED) instead
 * of blocking the device's whole outbox; more than MAX_PUSH_BATCH items is 413 BATCH_TOO_LARGE.
 */
export const pushBatchSchema = z.strictObject({ mutations: z.array(z.unknown()).min(1) });

/** The sync protocol: a device's outbox up, the changes of its buckets down (docs/ARCHITECTURE.md). */
export const syncRoutes = {
  'sync.push': defineRoute({
    method: 'POST',
    path: '/sync/push',
    tags: ['sync'],
    description:
      `Applies a device's mutations exactly once each, in order, and answers one result per mutation ` +
      `(at most ${MAX_PUSH_BATCH} per push). A disabled account's mutations are answered rejected ` +
      '(ACCOUNT_DISABLED), so the device shows them instead of retrying forever.',
    access: 'signedIn',
    headers: deviceHeaders,
    body: pushBatchSchema,
    responses: { 200: pushResponseSchema },
  }),
  'sync.pull': defineRoute({
    method: 'GET',
    path: '/sync/pull',
    tags: ['sync'],
    description:
      "Changes of the caller's buckets after the cursor, per bucket in seq order, with the next cursor; " +
      'bucketsAdded / bucketsRemoved say which buckets the caller gained or lost.',
    access: 'signedIn',
    headers: deviceHeaders,
    query: pullQuerySchema,
    responses: { 200: pullResponseSchema },
  }),
} as const;
