import type { Collection } from 'mongodb';
import { storeErrors } from '../errors';
import type { LedgerEntry, MutationClaim } from '../port';
import type { StoredResult } from '../rows';
import { bulkEach, GroupWriter, insertEach } from './batching';
import { groupsWrites } from './capabilities';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { isDuplicateKeyError } from './errors';
import { sleep } from './queries';

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

/** What claiming a mutation id came to. */
export type Claim =
  /** Ours to apply: newly claimed, or (`takenOver`) from a server that died while applying it. */
  { kind: 'claimed'; takenOver: boolean } | { kind: 'done'; result: StoredResult } | { kind: 'reused' };

/** How long a claim may stay `applying` before another server treats its owner as dead. */
export const CLAIM_LEASE_MS = 10_000;
const WAIT_STEP_MS = 20;

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The ledger's records (MongoLedger applies; this keeps the records): claims by unique insert
 * with a lease, waits for and take-overs of claims another request holds, releases, and results.
 * Every read and write is by `_id`, the filter every backend answers from its primary key.
 */
export class MutationRecords {
  private readonly mutations: Collection<MutationDoc>;
  /** Where a command costs far more than a statement: claims and results in flight together go out as one command each. */
  private readonly claims: GroupWriter<MutationDoc, true> | null;
  private readonly results: GroupWriter<{ id: string; result: StoredResult }, true> | null;
  private readonly perCommand: number;

  constructor(
    context: StoreContext,
    private readonly leaseMs = CLAIM_LEASE_MS,
  ) {
    this.mutations = context.db.collection<MutationDoc>(COLLECTIONS.mutations);
    this.perCommand = context.capabilities.maxUpdatesPerCommand;
    const grouped = groupsWrites(context.capabilities);
    this.claims = grouped ? new GroupWriter((docs) => insertEach(this.mutations, docs)) : null;
    this.results = grouped ? new GroupWriter((finished) => this.writeResults(finished)) : null;
  }

  /** The ledger entry of a mutation id, or null when it was never claimed. */
  async find(id: string): Promise<LedgerEntry | null> {
    const doc = await this.mutations.findOne({ _id: id });
    if (!doc) return null;
    return {
      id: doc._id,
      userId: doc.userId,
      deviceId: doc.deviceId,
      name: doc.name,
      argsHash: doc.argsHash,
      hlc: doc.hlc,
      status: doc.status,
      result: doc.result ?? null,
    };
  }

  private claimDoc(input: MutationClaim): MutationDoc {
    return {
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
    };
  }

  /** Claims one mutation id (grouped with others in flight where writes are grouped), else resumes the claim made before. */
  async claim(input: MutationClaim): Promise<Claim> {
    const doc = this.claimDoc(input);
    try {
      if (this.claims) await this.claims.write(doc);
      else await this.mutations.insertOne(doc);
      return { kind: 'claimed', takenOver: false };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    return this.resumeClaim(input);
  }

  /**
   * A run's claims in one unordered insert (grouped with other pushes' where writes are grouped).
   * Per claim `true` (ours), a duplicate-key error (in the ledger already: `resumeClaim`), or the
   * error that leaves it unknown whether the insert landed.
   */
  async claimMany(inputs: MutationClaim[]): Promise<Array<true | Error>> {
    const docs = inputs.map((input) => this.claimDoc(input));
    if (this.claims) return this.claims.writeMany(docs);
    try {
      return await insertEach(this.mutations, docs);
    } catch (error) {
      return docs.map(() => asError(error));
    }
  }

  /** The id is in the ledger already: its stored answer, a reuse, or (after waiting) ours to apply. */
  async resumeClaim(input: MutationClaim): Promise<Claim> {
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
    throw storeErrors.unavailable();
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
   * Stores the results of fresh claims (no read first, as `finish`): grouped with other pushes'
   * where writes are grouped, else in one bulk update (a lone one as `updateOne`). Per result the
   * result, or the error its write met.
   */
  async finishMany(finished: Array<{ id: string; result: StoredResult }>): Promise<Array<StoredResult | Error>> {
    if (finished.length === 0) return [];
    const written = this.results
      ? await this.results.writeMany(finished)
      : await this.writeResults(finished).catch((error: unknown) => finished.map(() => asError(error)));
    return written.map((outcome, index) => (outcome instanceof Error ? outcome : finished[index]!.result));
  }

  /** Results written by `_id`, `maxUpdatesPerCommand` a command; a lone one as `updateOne`. */
  private async writeResults(finished: Array<{ id: string; result: StoredResult }>): Promise<Array<true | Error>> {
    if (finished.length === 1) {
      const { id, result } = finished[0]!;
      await this.mutations.updateOne({ _id: id }, { $set: { status: 'done', result, appliedAt: new Date() } });
      return [true];
    }
    return bulkEach(
      this.mutations,
      finished.map(({ id, result }) => ({
        updateOne: { filter: { _id: id }, update: { $set: { status: 'done', result, appliedAt: new Date() } } },
      })),
      this.perCommand,
    );
  }

  /**
   * Stores the outcome. Claimed fresh: no read first. Only if this apply outlived its lease can a
   * server that took it over have finished it too — with the same effects under the same ids, so
   * either result tells the device the truth — and then the stored one stands. Read and write are
   * by `_id` alone, the filter every backend answers from its primary key.
   */
  async finish(id: string, result: StoredResult, takenOver: boolean): Promise<StoredResult> {
    if (!takenOver) {
      if (this.results) await this.results.write({ id, result });
      else await this.mutations.updateOne({ _id: id }, { $set: { status: 'done', result, appliedAt: new Date() } });
      return result;
    }
    const existing = await this.mutations.findOne({ _id: id }, { projection: { status: 1, result: 1 } });
    if (existing?.status === 'done' && existing.result) return existing.result;
    await this.mutations.updateOne({ _id: id }, { $set: { status: 'done', result, appliedAt: new Date() } });
    return result;
  }
}
