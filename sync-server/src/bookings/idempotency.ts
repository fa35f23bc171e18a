import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatehouseError } from '@gatehouse/protocol';
import type { IdempotencyRepository } from '../store/port';

/** A claim older than this whose booking never appeared belongs to a request that died. */
const ABANDONED_AFTER_MS = 30_000;
const WAIT_STEP_MS = 50;
const MAX_WAIT_STEPS = 200;

export type Claim = { kind: 'new'; bookingId: string } | { kind: 'replay'; bookingId: string };

/**
 * Idempotency keys for POST /events/:id/book. The key (`<userId>:<key>`) is claimed naming the
 * booking id up front; a concurrent retry finds the claim and waits for that booking instead of
 * booking again. A failed attempt releases its claim so a retry can try afresh.
 */
export class IdempotencyKeys {
  constructor(private readonly claims: IdempotencyRepository) {}

  static hashRequest(parts: unknown): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
  }

  /**
   * A new claim (the caller books under `bookingId`) or the booking id of an earlier request with
   * the same key, once `bookingExists` confirms it is there. IDEMPOTENCY_KEY_REUSED when the key
   * was used for another request; CONFLICT when the first request is still running after ~10 s.
   */
  async claim(
    userId: string,
    key: string,
    requestHash: string,
    bookingExists: (bookingId: string) => Promise<boolean>,
  ): Promise<Claim> {
    const id = `${userId}:${key}`;
    for (let step = 0; step < MAX_WAIT_STEPS; step++) {
      const bookingId = randomUUID();
      const claim = await this.claims.claim(id, requestHash, bookingId, Date.now());
      if (claim.kind === 'new') return { kind: 'new', bookingId };
      if (claim.requestHash !== requestHash) {
        throw new GatehouseError(
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was used for a different request; use a new key',
        );
      }
      if (await bookingExists(claim.bookingId)) return { kind: 'replay', bookingId: claim.bookingId };
      if (Date.now() - claim.createdAtMs > ABANDONED_AFTER_MS) {
        await this.claims.release(id, claim.bookingId);
        continue;
      }
      await sleep(WAIT_STEP_MS);
    }
    throw new GatehouseError('CONFLICT', 'The same request is still being processed; retry shortly');
  }

  async release(userId: string, key: string, bookingId: string): Promise<void> {
    await this.claims.release(`${userId}:${key}`, bookingId);
  }
}
