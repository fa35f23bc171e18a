import { GatehouseError } from '@gatehouse/protocol';
import type { Collection } from 'mongodb';
import pLimit from 'p-limit';
import { storeErrors } from '../errors';
import {
  appliedResult,
  type LedgerEntry,
  type MutationClaim,
  type MutationLedger,
  type MutationWork,
  type OpOutcome,
  type StoreOp,
} from '../port';
import type { StoredResult } from '../rows';
import { bulkEach, GroupWriter, insertEach } from './batching';
import { groupsWrites } from './capabilities';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { isDuplicateKeyError } from './errors';
import { sleep } from './queries';
import { KeyedLock } from './row-lock';

/** The exactly-once record of one pushed mutation. */
type MutationDoc = {
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

type Claim =
  /** Ours to apply: newly claimed, or (`takenOver`) from a server that died while applying it. */
  { kind: 'claimed'; takenOver: boolean } | { kind: 'done'; result: StoredResult } | { kind: 'reused' };

/** How long a claim may stay `applying` before another server treats its owner as dead. */
export const CLAIM_LEASE_MS = 10_000;
const WAIT_STEP_MS = 20;
/** Side-by-side applies per push: enough for the change log to group-commit their appends. */
const APPLY_CONCURRENCY = 32;

/** How the ledger applies each kind of store write: the same code the repositories run on their own. */
/** Runs one op; what it tells the mutation's answer (port.ts appliedResult). */
export type OpRunner = (op: StoreOp) => Promise<OpOutcome>;

function rejected(code: GatehouseError['code'], message: string): StoredResult {
  return { status: 'rejected', code, message };
}

/**
 * A check-in is an append-only fact whose meaning comes from its own HLC, not from when it was
 * applied, so a run of them goes side by side; a rejection decided before the store writes nothing
 * but its record. Anything else (a walk-in before its check-in, a cancel, an edit) is a barrier
 * that waits for what precedes it.
 */
function commutes(work: MutationWork): boolean {
  return work.apply.kind === 'recordCheckIn' || work.apply.kind === 'reject';
}

/** Splits a batch into runs that may each be applied concurrently, in batch order. */
export function commutingRuns(work: MutationWork[]): number[][] {
  const runs: number[][] = [];
  let open: number[] | null = null;
  work.forEach((item, index) => {
    if (commutes(item)) {
      if (!open) runs.push((open = []));
      open.push(index);
    } else {
      open = null;
      runs.push([index]);
    }
  });
  return runs;
}

/** Scans of one ticket keep their batch order; everything else in a run is independent. */
function orderKey(work: MutationWork, index: number): string {
  return work.apply.kind === 'recordCheckIn' ? `booking:${work.apply.row.bookingId}` : `mutation:${index}`;
}

/**
 * Exactly-once without transactions: claim by inserting the unique mutation id, apply, store the
 * result. A concurrent duplicate waits for the first one's answer. Each effect's own `_id` derives
 * from the mutation (check-in id, walk-in booking id, alert ids from their cause), so when a
 * server dies between claim and result, the retry (after the lease) re-applies into the same rows
 * — a no-op — and records the result.
 */
export class MongoLedger implements MutationLedger {
  private readonly mutations: Collection<MutationDoc>;
  /** Where a command costs far more than a statement: claims and results in flight together go out as one command each. */
  private readonly claims: GroupWriter<MutationDoc, true> | null;
  private readonly results: GroupWriter<{ id: string; result: StoredResult }, true> | null;

  constructor(
    private readonly context: StoreContext,
    private readonly runOp: OpRunner,
    private readonly leaseMs = CLAIM_LEASE_MS,
  ) {
    this.mutations = context.db.collection<MutationDoc>(COLLECTIONS.mutations);
    const grouped = groupsWrites(context.capabilities);
    const perCommand = context.capabilities.maxUpdatesPerCommand;
    this.claims = grouped ? new GroupWriter((docs) => insertEach(this.mutations, docs)) : null;
    this.results = grouped
      ? new GroupWriter((finished) =>
          bulkEach(
            this.mutations,
            finished.map(({ id, result }) => ({
              updateOne: { filter: { _id: id }, update: { $set: { status: 'done', result, appliedAt: new Date() } } },
            })),
            perCommand,
          ),
        )
      : null;
  }

  async applyBatch(work: MutationWork[]): Promise<StoredResult[]> {
    const results: StoredResult[] = new Array<StoredResult>(work.length);
    const limit = pLimit(APPLY_CONCURRENCY);
    // Applied side by side, an entry could read its booking's history before the exit just before
    // it landed and raise a false duplicate alert: scans of one ticket wait for each other.
    const sameTicket = new KeyedLock();
    for (const run of commutingRuns(work)) {
      // allSettled: a failing apply must not leave its siblings running after the call has
      // answered; their claims are finished or released before the error propagates.
      const settled = await Promise.allSettled(
        run.map((index) =>
          sameTicket.run(orderKey(work[index]!, index), () => limit(() => this.applyOne(work[index]!))),
        ),
      );
      for (const [position, outcome] of settled.entries()) {
        if (outcome.status === 'rejected') throw outcome.reason;
        results[run[position]!] = outcome.value;
      }
    }
    return results;
  }

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

  private async applyOne(work: MutationWork): Promise<StoredResult> {
    const claim = await this.claim(work.claim);
    if (claim.kind === 'reused') {
      return rejected('MUTATION_ID_REUSED', `Mutation id ${work.claim.id} was already used for a different mutation`);
    }
    if (claim.kind === 'done') return claim.result;
    try {
      const result = work.apply.kind === 'reject' ? work.apply.result : await this.execute(work.claim, work.apply);
      return await this.finish(work.claim.id, result, claim.takenOver);
    } catch (error) {
      await this.release(work.claim.id);
      throw error;
    }
  }

  /** A client-side failure (< 500) is the mutation's answer and is recorded; anything else is the server's trouble. */
  private async execute(claim: MutationClaim, op: StoreOp): Promise<StoredResult> {
    try {
      return appliedResult(claim, await this.runOp(op));
    } catch (error) {
      if (error instanceof GatehouseError && error.status < 500) return rejected(error.code, error.message);
      throw error;
    }
  }

  private async claim(input: MutationClaim): Promise<Claim> {
    const doc: MutationDoc = {
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
    try {
      if (this.claims) await this.claims.write(doc);
      else await this.mutations.insertOne(doc);
      return { kind: 'claimed', takenOver: false };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
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
    throw storeErrors.unavailable();
  }

  /**
   * Gives up a claim after an unexpected failure (database hiccup) so the device's retry takes it
   * over at once instead of waiting out the lease. Best effort: if this fails too, the lease expires.
   */
  private async release(id: string): Promise<void> {
    await this.mutations
      .updateOne({ _id: id, status: 'applying' }, { $set: { claimedAt: new Date(0) } })
      .catch(() => undefined);
  }

  /**
   * Stores the outcome. Claimed fresh: no read first. Only if this apply outlived its lease can a
   * server that took it over have finished it too — with the same effects under the same ids, so
   * either result tells the device the truth — and then the stored one stands. Read and write are
   * by `_id` alone, the filter every backend answers from its primary key.
   */
  private async finish(id: string, result: StoredResult, takenOver: boolean): Promise<StoredResult> {
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
