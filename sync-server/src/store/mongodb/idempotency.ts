import type { Collection } from 'mongodb';
import { storeErrors } from '../errors';
import type { IdempotencyClaim, IdempotencyRepository, IdempotentAnswer } from '../port';
import type { TransferRows } from '../transfer';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { isDuplicateKeyError } from './errors';

/**
 * One claimed key. `bookingId`: what a claim taken before every creating route had keys named its
 * id by (read as `resourceId`; such a claim has no answer, and is treated as one whose request died).
 */
export type IdempotencyDoc = {
  _id: string;
  requestHash: string;
  resourceId?: string;
  bookingId?: string;
  createdAt: Date;
  answer?: IdempotentAnswer;
};

/** Claims released and re-taken under us this often in a row are answered "busy". */
const CLAIM_ATTEMPTS = 5;

/** A stored claim as the port and the store transfer see it. */
export function toIdempotencyRow(doc: IdempotencyDoc): TransferRows['idempotency'] {
  return {
    key: doc._id,
    requestHash: doc.requestHash,
    resourceId: doc.resourceId ?? doc.bookingId ?? '',
    createdAtMs: doc.createdAt.getTime(),
    answer: doc.answer ? { status: doc.answer.status, body: doc.answer.body } : null,
  };
}

/**
 * Idempotency-Key claims: a key is claimed by inserting `{_id: key}` (unique), naming the id its
 * request creates under up front, so a concurrent retry loses the insert and learns what to wait
 * for. The answer is set on the same document (one single-document update).
 */
export class MongoIdempotency implements IdempotencyRepository {
  private readonly claims: Collection<IdempotencyDoc>;

  constructor(private readonly context: StoreContext) {
    this.claims = context.db.collection<IdempotencyDoc>(COLLECTIONS.idempotencyKeys);
  }

  async claim(key: string, requestHash: string, resourceId: string, nowMs: number): Promise<IdempotencyClaim> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      try {
        await this.claims.insertOne({ _id: key, requestHash, resourceId, createdAt: new Date(nowMs) });
        return { kind: 'new' };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const existing = await this.claims.findOne({ _id: key });
      // Released between our insert and this read: claim again.
      if (!existing) continue;
      const held = toIdempotencyRow(existing);
      return {
        kind: 'existing',
        requestHash: held.requestHash,
        resourceId: held.resourceId,
        createdAtMs: held.createdAtMs,
        answer: held.answer,
      };
    }
    throw storeErrors.unavailable();
  }

  async complete(key: string, resourceId: string, answer: IdempotentAnswer): Promise<void> {
    if (this.context.capabilities.rangeReadsUseIndex) {
      await this.claims.updateOne({ _id: key, resourceId }, { $set: { answer } });
      return;
    }
    // `{_id, resourceId}` would read the whole collection there: read by `_id`, write by `_id`.
    const existing = await this.claims.findOne({ _id: key });
    if (existing?.resourceId === resourceId) await this.claims.updateOne({ _id: key }, { $set: { answer } });
  }

  async release(key: string, resourceId: string): Promise<void> {
    if (this.context.capabilities.rangeReadsUseIndex) {
      await this.claims.deleteOne({ _id: key, $or: [{ resourceId }, { bookingId: resourceId }] });
      return;
    }
    // `{_id, resourceId}` would read the whole collection there: read by `_id`, delete by `_id`.
    const existing = await this.claims.findOne({ _id: key });
    if (existing && toIdempotencyRow(existing).resourceId === resourceId) await this.claims.deleteOne({ _id: key });
  }
}
