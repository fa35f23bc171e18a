import { createHash } from 'node:crypto';
import { GatehouseError, type MutationResult } from '@gatehouse/protocol';
import type { Collection, Db } from 'mongodb';
import stringify from 'safe-stable-stringify';
import { bulkEach, DuplicateKey, GroupWriter, insertEach } from '../../db/group-writer';
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
  /** Ours to apply: newly claimed, or (`takenOver`) from a server that died while applying it. */
  { kind: 'claimed'; takenOver: boolean } | { kind: 'done'; result: StoredResult } | { kind: 'reused' };

export function hashMutation(name: string, args: unknown): string {
  return createHash('sha256')
    .update(stringify({ name, args }) ?? '')
    .digest('base64url');
}

/**
 * Exactly-once without transactions: claim by inserting the unique mutation id, apply, store the
 * result. A concurrent duplicate waits for the first one's answer. Each effect's own `_id` derives
 * from the mutation (check-in id, walk-in booking id), so when a server dies between claim and
 * result, the retry (after the lease) re-applies into the same rows (a no-op) and records the result.
 */
/** How long a claim may stay `applying` before another server treats its owner as dead. */
export const CLAIM_LEASE_MS = 10_000;
const WAIT_STEP_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class MutationStore {
  readonly mutations: Collection<MutationDoc>;
  /** Claims and results of a batch's mutations applied side by side go out as one command each. */
  private readonly claims = new GroupWriter<MutationDoc, true>((docs) => insertEach(this.mutations, docs));
  private readonly results = new GroupWriter<{ id: string; result: StoredResult }, true>((finished) =>
    bulkEach(
      this.mutations,
      finished.map(({ id, result }) => ({
        updateOne: { filter: { _id: id }, update: { $set: { status: 'done', result, appliedAt: new Date() } } },
      })),
    ),
  );

  constructor(
    db: Db,
    private readonly leaseMs = CLAIM_LEASE_MS,
  ) {
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
      await this.claims.write({
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
      return { kind: 'claimed', takenOver: false };
    } catch (error) {
      if (!(error instanceof DuplicateKey) && !isDuplicateKeyError(error)) throw error;
    }
    const existing = await this.mutations.findOne({ _id: input.id });
    if (!existing) throw new Error(`mutation ${input.id} vanished after a duplicate-key insert`);
    // Another user's id, or the same id with other content, is never answered with the stored result.
    if (existing.userId !== input.userId || existing.argsHash !== input.argsHash || existing.name !== input.name) {
      return { kind: 'reused' };
    }
    return this.awaitOrTakeOver(existing);
  }

  /**
   * The id is claimed but not finished: either another request is applying it right now (the same
   * push sent twice, a retry after a dropped response) — then wait for its answer — or its server
   * died — then, once the lease has run out, take the claim over atomically and apply it again.
   */
  private async awaitOrTakeOver(first: MutationDoc): Promise<Claim> {
    let current: MutationDoc | null = first;
    const deadline = Date.now() + 2 * this.leaseMs;
    while (current && Date.now() < deadline) {
      if (current.status === 'done' && current.result) return { kind: 'done', result: current.result };
      if (Date.now() - current.claimedAt.getTime() >= this.leaseMs) {
        const taken = await this.mutations.findOneAndUpdate(
          { _id: current._id, status: 'applying', claimedAt: current.claimedAt },
          { $set: { claimedAt: new Date() } },
        );
        if (taken) return { kind: 'claimed', takenOver: true };
      } else {
        await sleep(WAIT_STEP_MS);
      }
      current = await this.mutations.findOne({ _id: current._id });
    }
    throw new GatehouseError('SERVICE_UNAVAILABLE', 'This mutation is still being applied; retry shortly');
  }

  /**
   * Gives up a claim after an unexpected failure (database hiccup) so the device's retry takes it
   * over at once instead of waiting out the lease. Best effort: if this fails too, the lease expires.
   */
  async release(id: string): Promise<void> {
    await this.mutations
      .updateOne({ _id: id, status: 'applying' }, { $set: { claimedAt: new Date(0) } })
      .catch(() => undefined);
  }

  /**
   * Stores the outcome; if another server finished the same mutation first, its result stands.
   * Read, then write, both by `_id` alone — the one filter FerretDB answers from its primary key (a
   * `{_id, status}` filter scans the whole collection there, once per mutation). Two finishers can
   * only meet after a lease takeover, and both applied the same effects under the same ids, so if
   * they do race past the read, either result tells the device the truth.
   */
  async finish(id: string, result: StoredResult, claim: { takenOver: boolean }): Promise<StoredResult> {
    // Claimed fresh: no read first. Only if this apply outlived the lease can a server that took it
    // over have finished it too, with the same effects under the same ids, so either result is true.
    if (!claim.takenOver) {
      await this.results.write({ id, result });
      return result;
    }
    const existing = await this.mutations.findOne({ _id: id }, { projection: { status: 1, result: 1 } });
    if (existing?.status === 'done' && existing.result) return existing.result;
    await this.mutations.updateOne({ _id: id }, { $set: { status: 'done', result, appliedAt: new Date() } });
    return result;
  }
}
