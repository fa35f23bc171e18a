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

/** Where a mutation of a run that waits stands once its claim is made or resumed, before it is applied. */
type Standing =
  /** Ours to apply: claimed by this call's insert, or (`takenOver`) taken over from a request that died. */
  | { kind: 'owned'; takenOver: boolean }
  /** Answered from the ledger: its stored result, or MUTATION_ID_REUSED. */
  | { kind: 'answered'; result: StoredResult }
  /**
   * Its claim insert failed (`ours`: it may have landed), its claim could not be resumed, or it is
   * in the ledger behind a scan of its ticket whose claim insert failed (that one's error; not
   * resumed, so not ours).
   */
  | { kind: 'failed'; error: Error; ours: boolean };

/** A mutation of a run that waits, by its position, with its standing (or the resume that will tell it). */
type Deferred = { position: number; standing: Standing | Promise<Standing> };

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

/**
 * Per position of a run, the first position naming the same mutation (id, user, name and args):
 * itself, or an earlier copy whose answer it shares. A copy is claimed once — a second claim of the
 * id would wait on the first, which is this very call's.
 */
function firstCopies(work: MutationWork[]): number[] {
  const first = new Map<string, number>();
  return work.map(({ claim }, position) => {
    const key = JSON.stringify([claim.id, claim.userId, claim.name, claim.argsHash]);
    if (!first.has(key)) first.set(key, position);
    return first.get(key)!;
  });
}

/** Scans of one ticket keep their run order; everything else in a run is independent. */
function orderKey(work: MutationWork, position: number): string {
  return work.apply.kind === 'recordCheckIn' ? `booking:${work.apply.row.bookingId}` : `mutation:${position}`;
}

/** Records, per ticket, the first failure among `applied`: its later scans are held back behind it. */
function holdBackAfterFailures(
  items: MutationWork[],
  applied: Owned[],
  outcomes: Array<StoredResult | Error | undefined>,
  heldBack: Map<string, Error>,
): void {
  for (const { position } of applied) {
    const outcome = outcomes[position];
    const key = orderKey(items[position]!, position);
    if (outcome instanceof Error && !heldBack.has(key)) heldBack.set(key, outcome);
  }
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
 * claimed is resumed the one-by-one way (done: its answer; reused; applying: wait, or take over
 * after the lease); from there on its ticket's scans wait for the scans of that ticket before
 * them, and are applied in waves with the other tickets' that are ready (applyDeferred), so a
 * ticket's scans are judged in push order (recordMany judges its own in run order). No scan is applied past an earlier one of its ticket
 * that was not — whose claim insert or resume failed, or whose apply failed: it fails too, and the
 * device retries from there. Mutations that failed release their claims (if ours) before the call
 * rejects.
 * The records themselves — claims, leases, take-overs, results — are MutationRecords' (ledger-records.ts).
 */
export class MongoLedger implements MutationLedger {
  private readonly records: MutationRecords;

  constructor(
    context: StoreContext,
    private readonly runOp: OpRunner,
    private readonly runCheckIns: CheckInRunner,
    private readonly leaseMs = CLAIM_LEASE_MS,
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
   * A run of commuting mutations (see the class comment). A ticket's scans up to its first one not
   * freshly claimed here are applied at once; the rest wait, per ticket, for the scans before them
   * (applyDeferred). Every mutation of the run is settled — answered, or failed and its claim (if
   * ours) released — before the first failure rejects the call.
   */
  private async applyRun(items: MutationWork[]): Promise<StoredResult[]> {
    const outcomes = new Array<StoredResult | Error | undefined>(items.length);
    const copyOf = firstCopies(items);
    const distinct = items.map((_item, position) => position).filter((position) => copyOf[position] === position);
    const claimedAt = Date.now();
    const inserted = await this.records.claimMany(distinct.map((position) => items[position]!.claim));
    // The deferred scans' resumes are under way meanwhile (split starts them).
    const { now, deferred } = this.split(items, distinct, inserted);
    await this.applyOwned(items, now, outcomes);
    /** Per ticket the failure that holds back its later scans: the device retries from there. */
    const heldBack = new Map<string, Error>();
    holdBackAfterFailures(items, now, outcomes, heldBack);
    const unapplied = await this.applyDeferred(items, deferred, { claimedAt, heldBack, outcomes });
    copyOf.forEach((first, position) => (outcomes[position] = outcomes[first]));
    await Promise.all(unapplied.map((position) => this.records.release(items[position]!.claim.id)));
    const failure = outcomes.find((outcome): outcome is Error => outcome instanceof Error);
    if (failure) throw failure;
    return outcomes.map((outcome) => outcome!) as StoredResult[];
  }

  /**
   * The deferred scans of a run, in waves. A wave takes, per ticket, the longest prefix of its
   * deferred scans whose standings have settled — answered ones take their answer, failed ones (or
   * any behind a failure of their ticket) fail unapplied — and applies the owned ones together. A
   * ticket waits only for its own earlier scans, so every wait points back in push order: two
   * requests carrying one push, their claims interleaved across tickets, never wait on each other
   * (with one wait for the whole run they could, each for a claim the other held back, until a
   * lease ran out). Returns the positions failed or held back unapplied whose claim may be ours,
   * for the caller to release.
   */
  private async applyDeferred(
    items: MutationWork[],
    deferred: Deferred[],
    run: { claimedAt: number; heldBack: Map<string, Error>; outcomes: Array<StoredResult | Error | undefined> },
  ): Promise<number[]> {
    const { heldBack, outcomes } = run;
    const settled = new Map<number, Standing>();
    const queues = new Map<string, Array<{ position: number; standing: Promise<Standing> }>>();
    for (const { position, standing } of deferred) {
      const key = orderKey(items[position]!, position);
      const known = Promise.resolve(standing).then((value) => {
        settled.set(position, value);
        return value;
      });
      queues.set(key, [...(queues.get(key) ?? []), { position, standing: known }]);
    }
    const unapplied: number[] = [];
    while (queues.size > 0) {
      const heads = [...queues.values()].map((queue) => queue[0]!);
      if (!heads.some(({ position }) => settled.has(position))) {
        await Promise.race(heads.map(({ standing }) => standing));
      }
      // Fresh claims kept that long may be taken over elsewhere before they are applied: their
      // results are stored as a taken-over claim's are (read first, see `finish`).
      const outlived = Date.now() - run.claimedAt >= this.leaseMs / 2;
      const wave: Owned[] = [];
      for (const [key, queue] of queues) {
        while (queue.length > 0 && settled.has(queue[0]!.position)) {
          const { position } = queue.shift()!;
          const standing = settled.get(position)!;
          if (standing.kind === 'answered') {
            outcomes[position] = standing.result;
            continue;
          }
          const error = heldBack.get(key) ?? (standing.kind === 'failed' ? standing.error : null);
          if (error) {
            outcomes[position] = error;
            heldBack.set(key, error);
            if (standing.kind === 'owned' || standing.ours) unapplied.push(position);
          } else wave.push({ position, takenOver: standing.kind === 'owned' && (standing.takenOver || outlived) });
        }
        if (queue.length === 0) queues.delete(key);
      }
      await this.applyOwned(items, wave, outcomes);
      holdBackAfterFailures(items, wave, outcomes, heldBack);
    }
    return unapplied;
  }

  /**
   * Splits a run's claims (`inserted`, per position of `positions`): a ticket's scans up to its
   * first one not freshly claimed here go `now`; from there on they are `deferred`, each with its
   * standing — a claim already in the ledger resumed, unless a claim insert of its ticket failed
   * before it (then that one's error: not resumed, so not ours).
   */
  private split(
    items: MutationWork[],
    positions: number[],
    inserted: Array<true | Error>,
  ): { now: Owned[]; deferred: Deferred[] } {
    const now: Owned[] = [];
    const deferred: Deferred[] = [];
    const waiting = new Set<string>();
    /** Per ticket its first claim insert that failed. */
    const cut = new Map<string, Error>();
    positions.forEach((position, index) => {
      const outcome = inserted[index]!;
      const key = orderKey(items[position]!, position);
      if (outcome === true && !waiting.has(key)) {
        now.push({ position, takenOver: false });
        return;
      }
      waiting.add(key);
      let standing: Standing | Promise<Standing>;
      if (outcome === true) standing = { kind: 'owned', takenOver: false };
      else if (!isDuplicateKeyError(outcome)) {
        if (!cut.has(key)) cut.set(key, outcome);
        standing = { kind: 'failed', error: outcome, ours: true }; // the insert may have landed
      } else {
        const blocker = cut.get(key);
        standing = blocker ? { kind: 'failed', error: blocker, ours: false } : this.resume(items[position]!.claim);
      }
      deferred.push({ position, standing });
    });
    return { now, deferred };
  }

  /** A claim already in the ledger: its stored answer, a reuse, ours after waiting or taking it over, or the error met. */
  private async resume(claim: MutationClaim): Promise<Standing> {
    try {
      const resumed = await this.records.resumeClaim(claim);
      if (resumed.kind === 'claimed') return { kind: 'owned', takenOver: resumed.takenOver };
      return { kind: 'answered', result: resumed.kind === 'done' ? resumed.result : this.reusedAnswer(claim) };
    } catch (error) {
      return { kind: 'failed', error: asError(error), ours: false };
    }
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
