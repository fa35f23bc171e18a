import type { Collection } from 'mongodb';
import { storeErrors } from '../errors';
import type { IdempotencyClaim, IdempotencyRepository } from '../port';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { isDuplicateKeyError } from './errors';

type IdempotencyDoc = { _id: string; requestHash: string; bookingId: string; createdAt: Date };

/** Claims released and re-taken under us this often in a row are answered "busy". */
const CLAIM_ATTEMPTS = 5;

/**
 * Idempotency-Key claims: a key is claimed by inserting `{_id: key}` (unique), naming the booking
 * id up front, so a concurrent retry loses the insert and learns which booking to wait for.
 */
export class MongoIdempotency implements IdempotencyRepository {
  private readonly claims: Collection<IdempotencyDoc>;

  constructor(private readonly context: StoreContext) {
    this.claims = context.db.collection<IdempotencyDoc>(COLLECTIONS.bookingIdempotency);
  }

  async claim(key: string, requestHash: string, bookingId: string, nowMs: number): Promise<IdempotencyClaim> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      try {
        await this.claims.insertOne({ _id: key, requestHash, bookingId, createdAt: new Date(nowMs) });
        return { kind: 'new' };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const existing = await this.claims.findOne({ _id: key });
      // Released between our insert and this read: claim again.
      if (!existing) continue;
      return {
        kind: 'existing',
        requestHash: existing.requestHash,
        bookingId: existing.bookingId,
        createdAtMs: existing.createdAt.getTime(),
      };
    }
    throw storeErrors.unavailable();
  }

  async release(key: string, bookingId: string): Promise<void> {
    if (this.context.capabilities.rangeReadsUseIndex) {
      await this.claims.deleteOne({ _id: key, bookingId });
      return;
    }
    // `{_id, bookingId}` would read the whole collection there: read by `_id`, delete by `_id`.
    const existing = await this.claims.findOne({ _id: key });
    if (existing?.bookingId === bookingId) await this.claims.deleteOne({ _id: key });
  }
}
