import { GatehouseError } from '@gatehouse/protocol';
import type { Collection } from 'mongodb';
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

/** Runs one op; what it tells the mutation's answer (port.ts appliedResult). */
export type OpRunner = (op: StoreOp) => Promise<OpOutcome>;

type RecordCheckIn = Extract<StoreOp, { kind: 'recordCheckIn' }>;

/**
 * Records a run's check-ins together (MongoCheckins.recordMany): per op what it tells the
 * mutation's answer, or the error that op alone met (a GatehouseError below 500 is its answer).
 * Rejects only when the run's shared writes failed.
 */
export type CheckInRunner = (ops: RecordCheckIn[]) => Promise<Array<OpOutcome | Error>>;

/** A mutation of a run that is ours to apply, by its position in the run. */
type Owned = { position: number; takenOver: boolean };

function rejected(code: GatehouseError['code'], message: string): StoredResult {
  return { status: 'rejected', code, message };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * A check-in is an append-only fact whose meaning comes from its own HLC, not from when it was
 * applied, so a run of them is applied together; a rejection decided before the store writes
 * nothing but its record. Anything else (a walk-in before its check-in, a cancel, an edit) is a
 * barrier that waits for what precedes it.
 */
function commutes(work: MutationWork): boolean {
  return work.apply.kind === 'recordCheckIn' || work.apply.kind === 'reject';
}

/** Splits a batch into runs that may each be applied together, in batch order. */
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

/** Scans of one ticket keep their run order; everything else in a run is independent. */
function orderKey(work: MutationWork, position: number): string {
  return work.apply.kind === 'recordCheckIn' ? `booking:${work.apply.row.bookingId}` : `mutation:${position}`;
}

/**
 * Exactly-once without transactions: claim by inserting the unique mutation id, apply, store the
 * result. A concurrent duplicate waits for the first one's answer. Each effect's own `_id` derives
 * from the mutation (check-in id, walk-in booking id, alert ids from their cause), so when a
 * server dies between claim and result, the retry (after the lease) re-applies into the same rows
 * — a no-op — and records the result.
 *
 * A run of two or more commuting mutations (commutingRuns) goes in few commands, whatever the
 * database (docs/ARCHITECTURE.md §4): its claims in one unordered insert, its check-ins together
 * (MongoCheckins.recordMany: bookings read at once, rows in one insert, changes in one group
 * commit, histories pushed in one bulk command), its results in one bulk update. An id already
 * claimed goes the one-by-one way (done: its answer; reused; applying: wait, or take over after the
 * lease); a scan behind such a one on the same ticket waits for it, so scans of one ticket are
 * still judged in push order. Mutations that failed release their claims before the call rejects.
 */
export class MongoLedger implements MutationLedger {
  private readonly mutations: Collection<MutationDoc>;
  /** Where a command costs far more than a statement: claims and results in flight together go out as one command each. */
  private readonly claims: GroupWriter<MutationDoc, true> | null;
  private readonly results: GroupWriter<{ id: string; result: StoredResult }, true> | null;

  constructor(
    private readonly context: StoreContext,
    private readonly runOp: OpRunner,
    private readonly runCheckIns: CheckInRunner,
    private readonly leaseMs = CLAIM_LEASE_MS,
  ) {
    this.mutations = context.db.collection<MutationDoc>(COLLECTIONS.mutations);
    const grouped = groupsWrites(context.capabilities);
    this.claims = grouped ? new GroupWriter((docs) => insertEach(this.mutations, docs)) : null;
    this.results = grouped ? new GroupWriter((finished) => this.writeResults(finished)) : null;
  }

  async applyBatch(work: MutationWork[]): Promise<StoredResult[]> {
    const results: StoredResult[] = new Array<StoredResult>(work.length);
    for (const run of commutingRuns(work)) {
      const answers =
        run.length === 1
          ? [await this.applyOne(work[run[0]!]!)]
          : await this.applyRun(run.map((index) => work[index]!));
      answers.forEach((answer, position) => (results[run[position]!] = answer));
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
    if (claim.kind === 'reused') return this.reusedAnswer(work.claim);
    if (claim.kind === 'done') return claim.result;
    try {
      const result = work.apply.kind === 'reject' ? work.apply.result : await this.execute(work.claim, work.apply);
      return await this.finish(work.claim.id, result, claim.takenOver);
    } catch (error) {
      await this.release(work.claim.id);
      throw error;
    }
  }

  /**
   * A run of commuting mutations (see the class comment). Every mutation of the run is settled —
   * answered, or failed and its claim released — before the first failure rejects the call.
   */
  private async applyRun(items: MutationWork[]): Promise<StoredResult[]> {
    const outcomes = new Array<StoredResult | Error | undefined>(items.length);
    const inserted = await this.claimMany(items.map((item) => item.claim));
    const fresh: number[] = [];
    const taken: number[] = [];
    /** Failed before applying, with a claim that may be ours: released at the end. */
    const unapplied: number[] = [];
    inserted.forEach((outcome, position) => {
      if (outcome === true) fresh.push(position);
      else if (isDuplicateKeyError(outcome)) taken.push(position);
      else {
        outcomes[position] = outcome; // the insert may have landed
        unapplied.push(position);
      }
    });
    // A scan behind an already-claimed one of its ticket waits for it (push order).
    const firstTaken = new Map<string, number>();
    for (const position of taken) {
      const key = orderKey(items[position]!, position);
      if (!firstTaken.has(key)) firstTaken.set(key, position);
    }
    const behind = (position: number): number | undefined => {
      const first = firstTaken.get(orderKey(items[position]!, position));
      return first !== undefined && first < position ? first : undefined;
    };
    const resumeTaken = async (): Promise<void> => {
      const owned: Owned[] = [];
      await Promise.all(
        taken.map(async (position) => {
          const { claim } = items[position]!;
          try {
            const resumed = await this.resumeClaim(claim);
            if (resumed.kind === 'claimed') owned.push({ position, takenOver: resumed.takenOver });
            else outcomes[position] = resumed.kind === 'done' ? resumed.result : this.reusedAnswer(claim);
          } catch (error) {
            outcomes[position] = asError(error);
          }
        }),
      );
      for (const position of fresh) {
        const first = behind(position);
        if (first === undefined) continue;
        // Never applied ahead of a scan of its ticket that is still owed: released unapplied.
        const failed = outcomes[first];
        if (failed instanceof Error) {
          outcomes[position] = failed;
          unapplied.push(position);
        } else owned.push({ position, takenOver: false });
      }
      await this.applyOwned(
        items,
        owned.sort((a, b) => a.position - b.position),
        outcomes,
      );
    };
    const now = fresh.filter((position) => behind(position) === undefined);
    await Promise.all([
      this.applyOwned(
        items,
        now.map((position) => ({ position, takenOver: false })),
        outcomes,
      ),
      taken.length > 0 ? resumeTaken() : Promise.resolve(),
    ]);
    await Promise.all(unapplied.map((position) => this.release(items[position]!.claim.id)));
    const failure = outcomes.find((outcome): outcome is Error => outcome instanceof Error);
    if (failure) throw failure;
    return outcomes.map((outcome) => outcome!) as StoredResult[];
  }

  /**
   * Applies the run's mutations at `owned` (claimed by this call, in run order) and stores their
   * results: rejections as planned, check-ins together (a lone one the one-by-one way), results of
   * fresh claims in one bulk update, of taken-over ones each after a read (see `finish`). A
   * mutation that failed is released. Writes each answer or error into `outcomes`.
   */
  private async applyOwned(
    items: MutationWork[],
    owned: Owned[],
    outcomes: Array<StoredResult | Error | undefined>,
  ): Promise<void> {
    if (owned.length === 0) return;
    const answers = new Map<number, StoredResult>();
    const checkIns: Array<{ position: number; op: RecordCheckIn }> = [];
    for (const { position } of owned) {
      const { claim, apply } = items[position]!;
      if (apply.kind === 'reject') answers.set(position, apply.result);
      else if (apply.kind === 'recordCheckIn') checkIns.push({ position, op: apply });
      else {
        // Not a commuting op (none is in a run today): applied on its own.
        await this.execute(claim, apply).then(
          (result) => answers.set(position, result),
          (error: unknown) => (outcomes[position] = asError(error)),
        );
      }
    }
    if (checkIns.length === 1) {
      const { position, op } = checkIns[0]!;
      await this.execute(items[position]!.claim, op).then(
        (result) => answers.set(position, result),
        (error: unknown) => (outcomes[position] = asError(error)),
      );
    } else if (checkIns.length > 1) {
      const ops = checkIns.map(({ op }) => op);
      const ran = await this.runCheckIns(ops).catch((error: unknown) => ops.map(() => asError(error)));
      checkIns.forEach(({ position }, index) => {
        const outcome = ran[index]!;
        if (!(outcome instanceof Error)) answers.set(position, appliedResult(items[position]!.claim, outcome));
        // A client-side failure (< 500) is the mutation's answer, as in `execute`.
        else if (outcome instanceof GatehouseError && outcome.status < 500) {
          answers.set(position, rejected(outcome.code, outcome.message));
        } else outcomes[position] = outcome;
      });
    }
    const answered = owned.filter(({ position }) => answers.has(position));
    const fresh = answered.filter(({ takenOver }) => !takenOver);
    const finishFresh = this.finishMany(
      fresh.map(({ position }) => ({ id: items[position]!.claim.id, result: answers.get(position)! })),
    ).then((finished) => fresh.forEach(({ position }, index) => (outcomes[position] = finished[index])));
    const finishTaken = answered
      .filter(({ takenOver }) => takenOver)
      .map(({ position }) =>
        this.finish(items[position]!.claim.id, answers.get(position)!, true).then(
          (result) => (outcomes[position] = result),
          (error: unknown) => (outcomes[position] = asError(error)),
        ),
      );
    await Promise.all([finishFresh, ...finishTaken]);
    await Promise.all(
      owned
        .filter(({ position }) => outcomes[position] instanceof Error)
        .map(({ position }) => this.release(items[position]!.claim.id)),
    );
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

  private async claim(input: MutationClaim): Promise<Claim> {
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
  private async claimMany(inputs: MutationClaim[]): Promise<Array<true | Error>> {
    const docs = inputs.map((input) => this.claimDoc(input));
    if (this.claims) return this.claims.writeMany(docs);
    try {
      return await insertEach(this.mutations, docs);
    } catch (error) {
      return docs.map(() => asError(error));
    }
  }

  /** The id is in the ledger already: its stored answer, a reuse, or (after waiting) ours to apply. */
  private async resumeClaim(input: MutationClaim): Promise<Claim> {
    const existing = await this.mutations.findOne({ _id: input.id });
    if (!existing) throw new Error(`mutation ${input.id} vanished after a duplicate-key insert`);
    // Another user's id, or the same id with other content, is never answered with the stored result.
    if (existing.userId !== input.userId || existing.argsHash !== input.argsHash || existing.name !== input.name) {
      return { kind: 'reused' };
    }
    return this.awaitOrTakeOver(existing);
  }

  private reusedAnswer(claim: MutationClaim): StoredResult {
    return rejected('MUTATION_ID_REUSED', `Mutation id ${claim.id} was already used for a different mutation`);
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
   * Stores the results of fresh claims (no read first, as `finish`): grouped with other pushes'
   * where writes are grouped, else in one bulk update (a lone one as `updateOne`). Per result the
   * result, or the error its write met.
   */
  private async finishMany(
    finished: Array<{ id: string; result: StoredResult }>,
  ): Promise<Array<StoredResult | Error>> {
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
      this.context.capabilities.maxUpdatesPerCommand,
    );
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
