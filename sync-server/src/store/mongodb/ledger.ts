import { GatehouseError } from '@gatehouse/protocol';
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
import type { StoreContext } from './context';
import { isDuplicateKeyError } from './errors';
import { CLAIM_LEASE_MS, MutationRecords } from './ledger-records';

export { CLAIM_LEASE_MS } from './ledger-records';

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
 * The records themselves — claims, leases, take-overs, results — are MutationRecords' (ledger-records.ts).
 */
export class MongoLedger implements MutationLedger {
  private readonly records: MutationRecords;

  constructor(
    context: StoreContext,
    private readonly runOp: OpRunner,
    private readonly runCheckIns: CheckInRunner,
    leaseMs = CLAIM_LEASE_MS,
  ) {
    this.records = new MutationRecords(context, leaseMs);
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

  find(id: string): Promise<LedgerEntry | null> {
    return this.records.find(id);
  }

  private async applyOne(work: MutationWork): Promise<StoredResult> {
    const claim = await this.records.claim(work.claim);
    if (claim.kind === 'reused') return this.reusedAnswer(work.claim);
    if (claim.kind === 'done') return claim.result;
    try {
      const result = work.apply.kind === 'reject' ? work.apply.result : await this.execute(work.claim, work.apply);
      return await this.records.finish(work.claim.id, result, claim.takenOver);
    } catch (error) {
      await this.records.release(work.claim.id);
      throw error;
    }
  }

  /**
   * A run of commuting mutations (see the class comment). Every mutation of the run is settled —
   * answered, or failed and its claim released — before the first failure rejects the call.
   */
  private async applyRun(items: MutationWork[]): Promise<StoredResult[]> {
    const outcomes = new Array<StoredResult | Error | undefined>(items.length);
    const inserted = await this.records.claimMany(items.map((item) => item.claim));
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
            const resumed = await this.records.resumeClaim(claim);
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
    await Promise.all(unapplied.map((position) => this.records.release(items[position]!.claim.id)));
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
    const finishFresh = this.records
      .finishMany(fresh.map(({ position }) => ({ id: items[position]!.claim.id, result: answers.get(position)! })))
      .then((finished) => fresh.forEach(({ position }, index) => (outcomes[position] = finished[index])));
    const finishTaken = answered
      .filter(({ takenOver }) => takenOver)
      .map(({ position }) =>
        this.records.finish(items[position]!.claim.id, answers.get(position)!, true).then(
          (result) => (outcomes[position] = result),
          (error: unknown) => (outcomes[position] = asError(error)),
        ),
      );
    await Promise.all([finishFresh, ...finishTaken]);
    await Promise.all(
      owned
        .filter(({ position }) => outcomes[position] instanceof Error)
        .map(({ position }) => this.records.release(items[position]!.claim.id)),
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

  private reusedAnswer(claim: MutationClaim): StoredResult {
    return rejected('MUTATION_ID_REUSED', `Mutation id ${claim.id} was already used for a different mutation`);
  }
}
