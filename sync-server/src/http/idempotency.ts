import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GatehouseError,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_TTL_HOURS,
  IDEMPOTENT_REPLAYED_HEADER,
  type RouteDef,
} from '@gatehouse/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import stringify from 'safe-stable-stringify';
import type { IdempotencyRepository, IdempotentAnswer } from '../store/port';

/** A claim older than this without an answer belongs to a request that died (or hangs past any client's patience). */
const ABANDONED_AFTER_MS = 30_000;
/** How long a retry waits for the first request's answer: WAIT_STEPS × WAIT_STEP_MS ≈ 10 s. */
const WAIT_STEP_MS = 50;
const WAIT_STEPS = 200;
const KEY_TTL_MS = IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000;

/** What a request with a key may do: create under `resourceId`, or answer what the first request answered. */
type Begun = { kind: 'new'; resourceId: string } | { kind: 'replay'; answer: IdempotentAnswer };

/**
 * Idempotency-Key on every route that declares `idempotent` (protocol routing.ts), honoured by
 * `serve` (http/serve.ts) so a route gets it by declaring it. A key is claimed per user
 * (`<userId>:<key>`) for one request — method, path, params, query and body, hashed — naming up
 * front the id the request creates under. Then:
 * - the first request runs its handler with that id and stores its answer (status and body);
 * - a retry with the same request gets that answer again (`idempotent-replayed: true`);
 * - a retry while the first still runs waits for its answer, up to ~10 s, then is 409
 *   IDEMPOTENCY_KEY_IN_PROGRESS (Retry-After: 1);
 * - the same key with another request is 422 IDEMPOTENCY_KEY_REUSED;
 * - a request that fails releases its claim (it created nothing; a retry runs afresh);
 * - a claim left without an answer for 30 s (its request died, perhaps after creating) is taken
 *   over with the same id, so the handler's re-run meets what it created (the stores answer a
 *   repeated booking id as a repeat; an event id as CONFLICT) instead of creating a second;
 * - a key is forgotten IDEMPOTENCY_KEY_TTL_HOURS after its first request.
 */
export class IdempotencyKeys {
  constructor(private readonly claims: IdempotencyRepository) {}

  /** The hash that tells a retry (same hash) from another request under the same key. */
  static hashRequest(
    route: Pick<RouteDef, 'method' | 'path'>,
    parts: { params: unknown; query: unknown; body: unknown },
  ): string {
    const canonical = stringify({ route: `${route.method} ${route.path}`, ...parts }) ?? '';
    return createHash('sha256').update(canonical).digest('base64url');
  }

  /**
   * Runs `create` once per key: with no key, under a fresh id; with one, as the class describes.
   * Sets the reply's status (and the replay header) when it answers a replay.
   */
  async answer(
    route: RouteDef,
    request: FastifyRequest,
    reply: FastifyReply,
    userId: string,
    create: (resourceId: string) => Promise<unknown>,
  ): Promise<unknown> {
    const key = (request.headers as Record<string, string | undefined>)[IDEMPOTENCY_KEY_HEADER];
    if (!key) return create(randomUUID());
    const claimKey = `${userId}:${key}`;
    const requestHash = IdempotencyKeys.hashRequest(route, {
      params: request.params,
      query: request.query,
      body: request.body,
    });
    const begun = await this.begin(claimKey, requestHash);
    if (begun.kind === 'replay') {
      void reply.status(begun.answer.status).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
      return JSON.parse(begun.answer.body) as unknown;
    }
    let body: unknown;
    try {
      body = await create(begun.resourceId);
    } catch (error) {
      await this.claims.release(claimKey, begun.resourceId).catch((releaseError: unknown) => {
        request.log.warn({ err: releaseError }, 'releasing an Idempotency-Key failed; it frees itself in 30 s');
      });
      throw error;
    }
    try {
      await this.claims.complete(claimKey, begun.resourceId, { status: reply.statusCode, body: JSON.stringify(body) });
    } catch (error) {
      // It was created: answer it. A retry finds the claim without an answer and, after 30 s,
      // re-runs under the same id, which meets what this request created.
      request.log.warn({ err: error }, 'storing an idempotent answer failed');
    }
    return body;
  }

  private async begin(claimKey: string, requestHash: string): Promise<Begun> {
    for (let step = 0; step < WAIT_STEPS; step++) {
      const resourceId = randomUUID();
      const nowMs = Date.now();
      const claim = await this.claims.claim(claimKey, requestHash, resourceId, nowMs);
      if (claim.kind === 'new') return { kind: 'new', resourceId };
      if (nowMs - claim.createdAtMs > KEY_TTL_MS) {
        // Forgotten already, only not yet purged.
        await this.claims.release(claimKey, claim.resourceId);
        continue;
      }
      if (claim.requestHash !== requestHash) {
        throw new GatehouseError(
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was used for a different request; use a new key',
        );
      }
      if (claim.answer) return { kind: 'replay', answer: claim.answer };
      if (nowMs - claim.createdAtMs > ABANDONED_AFTER_MS) {
        await this.claims.release(claimKey, claim.resourceId);
        // Take it over under the same id; if another retry took it first, wait on that one.
        const taken = await this.claims.claim(claimKey, requestHash, claim.resourceId, Date.now());
        if (taken.kind === 'new') return { kind: 'new', resourceId: claim.resourceId };
        continue;
      }
      await sleep(WAIT_STEP_MS);
    }
    throw new GatehouseError(
      'IDEMPOTENCY_KEY_IN_PROGRESS',
      'The first request with this Idempotency-Key is still being processed; retry shortly',
      undefined,
      { retryAfterSeconds: 1 },
    );
  }
}
