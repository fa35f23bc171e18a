import { createHash } from 'node:crypto';
import type { MutationResult } from '@gatehouse/protocol';
import type { Collection, Db } from 'mongodb';
import stringify from 'safe-stable-stringify';
import { isDuplicateKeyError } from '../../db/mongo';

export type StoredResult = Omit<MutationResult, 'id'>;

/** The exactly-once record of one pushed mutation. */
export type MutationDoc = {
  /** The mutation's own id (a UUID the device chose). Unique: the claim is the insert. */
  _id: string;
  userId: string;
  deviceId: string;
  name: string;
  /** Hash of name + args in canonical JSON, so a reused id with other content is recognised. */
  argsHash: string;
  hlc: string;
  status: 'applying' | 'done';
  result: StoredResult | null;
  claimedAt: Date;
  appliedAt: Date | null;
};

export type Claim =
  | { kind: 'claimed' }
  /** Left `applying` by a crashed (or concurrent) server: applying again is safe, effects are idempotent. */
  | { kind: 'resume' }
  | { kind: 'done'; result: StoredResult }
  | { kind: 'reused' };

export function hashMutation(name: string, args: unknown): string {
  return createHash('sha256')
    .update(stringify({ name, args }) ?? '')
    .digest('base64url');
}

/**
 * Exactly-once without transactions: claim by inserting the unique mutation id, apply, store the
 * result. Each effect's own `_id` derives from the mutation (check-in id, walk-in booking id), so
 * when a server dies between claim and result, the retry re-applies into the same rows (a no-op)
 * and records the result then.
 */
export class MutationStore {
  readonly mutations: Collection<MutationDoc>;
  constructor(db: Db) {
    this.mutations = db.collection<MutationDoc>('mutations');
  }

  async ensureIndexes(): Promise<void> {
    await this.mutations.createIndex({ userId: 1, claimedAt: -1 });
    await this.mutations.createIndex({ deviceId: 1, claimedAt: -1 });
  }

  async claim(input: {
    id: string;
    userId: string;
    deviceId: string;
    name: string;
    argsHash: string;
    hlc: string;
  }): Promise<Claim> {
    try {
      await this.mutations.insertOne({
        _id: input.id,
        userId: input.userId,
        deviceId: input.deviceId,
        name: input.name,
        argsHash: input.argsHash,
        hlc: input.hlc,
        status: 'applying',
        result: null,
        claimedAt: new Date(),
        appliedAt: null,
      });
      return { kind: 'claimed' };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const existing = await this.mutations.findOne({ _id: input.id });
    if (!existing) throw new Error(`mutation ${input.id} vanished after a duplicate-key insert`);
    // Another user's id, or the same id with other content, is never answered with the stored result.
    if (existing.userId !== input.userId || existing.argsHash !== input.argsHash || existing.name !== input.name) {
      return { kind: 'reused' };
    }
    if (existing.status === 'done' && existing.result) return { kind: 'done', result: existing.result };
    return { kind: 'resume' };
  }

  /** Stores the outcome; if another server finished the same mutation first, its result stands. */
  async finish(id: string, result: StoredResult): Promise<StoredResult> {
    const updated = await this.mutations.findOneAndUpdate(
      { _id: id, status: 'applying' },
      { $set: { status: 'done', result, appliedAt: new Date() } },
      { returnDocument: 'after' },
    );
    if (updated?.result) return updated.result;
    const existing = await this.mutations.findOne({ _id: id });
    return existing?.result ?? result;
  }
}
