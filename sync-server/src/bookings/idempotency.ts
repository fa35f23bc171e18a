import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatehouseError } from '@gatehouse/protocol';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from '../db/mongo';

type IdempotencyRow = { _id: string; requestHash: string; bookingId: string; createdAt: Date };

/** A claim older than this whose booking never appeared belongs to a request that died. */
const ABANDONED_AFTER_MS = 30_000;
const WAIT_STEP_MS = 50;
const MAX_WAIT_STEPS = 200;

export type Claim = { kind: 'new'; bookingId: string } | { kind: 'replay'; bookingId: string };

/**
 * Idempotency keys for POST /events/:id/book. The key is claimed by inserting `{_id: user:key}`
 * (unique), naming the booking id up front; a concurrent retry loses the insert and waits for that
 * booking instead of booking again. A failed attempt releases its claim so a retry can try afresh.
 */
export class IdempotencyKeys {
  readonly claims: Collection<IdempotencyRow>;

  constructor(db: Db) {
    this.claims = db.collection<IdempotencyRow>('bookingIdempotency');
  }

  async ensureIndexes(): Promise<void> {
    await this.claims.createIndex({ createdAt: 1 });
  }

  static hashRequest(parts: unknown): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
  }

  /**
   * Returns a new claim (the caller books under `bookingId`) or the booking id of an earlier
   * request with the same key, once `bookingExists` confirms it is there.
   */
  async claim(
    userId: string,
    key: string,
    requestHash: string,
    bookingExists: (bookingId: string) => Promise<boolean>,
  ): Promise<Claim> {
    const _id = `${userId}:${key}`;
    for (let step = 0; step < MAX_WAIT_STEPS; step++) {
      const bookingId = randomUUID();
      try {
        await this.claims.insertOne({ _id, requestHash, bookingId, createdAt: new Date() });
        return { kind: 'new', bookingId };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const existing = await this.claims.findOne({ _id });
      if (!existing) continue; // released between our insert and read: try to claim again
      if (existing.requestHash !== requestHash) {
        throw new GatehouseError(
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was used for a different request; use a new key',
        );
      }
      if (await bookingExists(existing.bookingId)) return { kind: 'replay', bookingId: existing.bookingId };
      if (Date.now() - existing.createdAt.getTime() > ABANDONED_AFTER_MS) {
        await this.claims.deleteOne({ _id, bookingId: existing.bookingId });
        continue;
      }
      await sleep(WAIT_STEP_MS);
    }
    throw new GatehouseError('CONFLICT', 'The same request is still being processed; retry shortly');
  }

  async release(userId: string, key: string, bookingId: string): Promise<void> {
    await this.claims.deleteOne({ _id: `${userId}:${key}`, bookingId });
  }
}
