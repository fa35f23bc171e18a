import { GatehouseError, truncateText } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { storeErrors } from '../errors';
import {
  appliedResult,
  editSuperseded,
  type OpOutcome,
  type LedgerEntry,
  type MutationLedger,
  type MutationWork,
  type StoreOp,
} from '../port';
import type { StoredResult } from '../rows';
import type { SqliteAlerts } from './alerts';
import type { SqliteBookings } from './bookings';
import type { ScanToRecord, SqliteCheckins } from './checkins';
import type { SqliteDatabase } from './database';
import type { SqliteEvents } from './events';
import type { SqliteRefusals } from './refusals';
import { MultiRowInsert, parseJson } from './sql';

/**
 * Mutations applied together by applyChunk: their ledger records read in one statement, their
 * consecutive new check-ins recorded as one run. Every chunk of a push waits for a group commit at
 * once (GroupCommitQueue), so a backlog push is committed ITEMS_PER_GROUP_COMMIT mutations at a time.
 */
const ITEMS_PER_TRANSACTION = 100;

type MutationRecord = {
  id: string;
  user_id: string;
  device_id: string;
  name: string;
  args_hash: string;
  hlc: string;
  status: 'applying' | 'done';
  result: string | null;
  applied_at_ms: number;
};

/** Ledger records inserted per statement by a run of check-ins (9 values each). */
const RECORDS_PER_INSERT = 100;

/** Mutations committed together at most, across the pushes waiting at one turn of the event loop. */
const ITEMS_PER_GROUP_COMMIT = 500;

/**
 * The chunks of one push: once one of them has failed, its later chunks are refused unapplied (with
 * that failure), so a push's mutations are never applied past one that was not — the device retries
 * from there, in its order.
 */
type PushInQueue = { failure: { error: unknown } | null };

type WaitingChunk = {
  apply: () => StoredResult[];
  items: number;
  push: PushInQueue;
  resolve: (results: StoredResult[]) => void;
  reject: (error: unknown) => void;
};

/**
 * Group commit: the chunks waiting at one turn of the event loop — every chunk of every push that
 * arrived — are applied in one transaction, up to ITEMS_PER_GROUP_COMMIT mutations, so fifty devices
 * pushing at once pay for a few commits instead of fifty, and a backlog of 2,000 check-ins for four
 * instead of twenty. A commit, not the mutations, was most of a small push's cost; a big one's commit
 * writes every page its check-ins dirtied in the booking-keyed index, most of them again in the next
 * commit when commits are small. Each chunk keeps its own savepoints and answers; a group that fails
 * as a whole (a bug in one mutation, a full disk) is retried chunk by chunk, so one push's failure is
 * never another's. One group per turn, so requests in between wait for at most one group (a few tens
 * of milliseconds).
 */
class GroupCommitQueue {
  private readonly waiting: WaitingChunk[] = [];
  private scheduled = false;

  constructor(private readonly database: SqliteDatabase) {}

  /** A new push's token, to pass to `run` with each of its chunks in order. */
  newPush(): PushInQueue {
    return { failure: null };
  }

  run(apply: () => StoredResult[], items: number, push: PushInQueue): Promise<StoredResult[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ apply, items, push, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush().finally(() => this.schedule());
    });
  }

  /** Refuses, unapplied, a chunk whose push has already failed; true when it did. */
  private refusedAfterFailure(chunk: WaitingChunk): boolean {
    if (!chunk.push.failure) return false;
    chunk.reject(chunk.push.failure.error);
    return true;
  }

  private fail(chunk: WaitingChunk, error: unknown): void {
    chunk.push.failure ??= { error };
    chunk.reject(error);
  }

  private async flush(): Promise<void> {
    const group: WaitingChunk[] = [];
    for (let items = 0; this.waiting.length > 0;) {
      const next = this.waiting[0]!;
      if (group.length > 0 && items + next.items > ITEMS_PER_GROUP_COMMIT) break;
      this.waiting.shift();
      if (this.refusedAfterFailure(next)) continue;
      group.push(next);
      items += next.items;
    }
    if (group.length === 0) return;
    try {
      const results = await this.database.write(() => group.map((chunk) => chunk.apply()));
      group.forEach((chunk, index) => chunk.resolve(results[index]!));
    } catch (error) {
      if (group.length === 1) {
        this.fail(group[0]!, error);
        return;
      }
      for (const chunk of group) {
        if (this.refusedAfterFailure(chunk)) continue;
        await this.database
          .write(() => chunk.apply())
          .then(chunk.resolve, (failure: unknown) => this.fail(chunk, failure));
      }
    }
  }
}

/**
 * The exactly-once ledger. Each mutation runs in a savepoint inside its chunk's transaction, and its
 * ledger row is written in that same transaction: effects, change-log appends and the record
 * commit together or not at all, so a mutation is never half-applied nor applied twice.
 */
export class SqliteLedger {
  private readonly byId: Database.Statement<[string], MutationRecord>;
  /** The records of a JSON array of ids (those that exist). */
  private readonly byIds: Database.Statement<[string], MutationRecord>;
  private readonly insertRow: Database.Statement<MutationRecord>;
  private readonly insertMany: MultiRowInsert;
  /** Batches in flight, so close() can let them finish. */
  private readonly running = new Set<Promise<unknown>>();
  /** Chunks of every batch in flight, committed together a turn at a time. */
  private readonly turns: GroupCommitQueue;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly checkins: SqliteCheckins,
    private readonly refusals: SqliteRefusals,
    private readonly bookings: SqliteBookings,
    private readonly events: SqliteEvents,
    private readonly alerts: SqliteAlerts,
  ) {
    this.turns = new GroupCommitQueue(database);
    const { db } = database;
    this.byId = db.prepare('SELECT * FROM mutations WHERE id = ?');
    this.byIds = db.prepare('SELECT * FROM mutations WHERE id IN (SELECT value FROM json_each(?))');
    this.insertRow = db.prepare(
      `INSERT INTO mutations (id, user_id, device_id, name, args_hash, hlc, status, result, applied_at_ms)
       VALUES (@id, @user_id, @device_id, @name, @args_hash, @hlc, @status, @result, @applied_at_ms)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, result = excluded.result,
         applied_at_ms = excluded.applied_at_ms`,
    );
    this.insertMany = new MultiRowInsert(
      db,
      'INSERT INTO mutations (id, user_id, device_id, name, args_hash, hlc, status, result, applied_at_ms) VALUES',
      9,
      `ON CONFLICT (id) DO UPDATE SET status = excluded.status, result = excluded.result,
         applied_at_ms = excluded.applied_at_ms`,
    );
  }

  /** One op, the same code path as the repository method of the same name; true when applied but superseded. */
  private run(op: StoreOp): OpOutcome {
    switch (op.kind) {
      case 'recordCheckIn':
        return { superseded: false, hlc: this.checkins.record(op.row, op.deriveAlerts).row.hlc };
      case 'recordRefusal':
        return { superseded: false, hlc: this.refusals.record(op.row).row.hlc };
      case 'acknowledgeAlert':
        this.alerts.acknowledge(op.alertId, op.eventId, op.acknowledgement);
        return { superseded: false, hlc: op.acknowledgement.hlc };
      case 'book':
        this.bookings.book(op.input);
        return { superseded: false, hlc: null };
      case 'cancelBooking':
        if (!this.bookings.cancel(op.bookingId, op.at, op.mailFor)) throw storeErrors.bookingNotInEvent(op.bookingId);
        return { superseded: false, hlc: null };
      case 'updateEvent': {
        const row = this.events.update(op.eventId, op.edit);
        if (!row) throw storeErrors.eventNotFound();
        return { superseded: editSuperseded(row, op.hlc), hlc: op.hlc };
      }
    }
  }

  /**
   * Applies a chunk inside the caller's transaction. The ledger records of the whole chunk are read
   * in one statement rather than one per mutation (a statement costs ~7 µs whatever it does); an id
   * that comes again within the chunk is read after its first apply, so it answers as a repeat.
   * Consecutive new check-ins (and planned rejections) are applied as one run (applyRun); anything
   * else — a repeat, a walk-in, an edit — one at a time in its savepoint, in push order.
   */
  private applyChunk(chunk: MutationWork[], nowMs: number): StoredResult[] {
    const known = new Map(this.byIds.all(JSON.stringify(chunk.map((work) => work.claim.id))).map((r) => [r.id, r]));
    const seen = new Set<string>();
    const results: StoredResult[] = new Array<StoredResult>(chunk.length);
    let run: number[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const applied = this.applyRun(
        run.map((index) => chunk[index]!),
        nowMs,
      );
      run.forEach((index, at) => (results[index] = applied[at]!));
      run = [];
    };
    chunk.forEach((work, index) => {
      const id = work.claim.id;
      const repeat = seen.has(id);
      seen.add(id);
      const existing = known.get(id);
      if (!repeat && !existing && (work.apply.kind === 'recordCheckIn' || work.apply.kind === 'reject')) {
        run.push(index);
        return;
      }
      flush();
      results[index] = this.applyOne(work, nowMs, repeat ? this.byId.get(id) : existing);
    });
    flush();
    return results;
  }

  /**
   * Mutations with no ledger record yet, each a check-in or a planned rejection, applied together:
   * the same results and writes as applyOne on each in turn (SqliteCheckins.recordMany; a scan it
   * refuses wrote nothing, as its undone savepoint would have), with the ledger records inserted a
   * hundred per statement.
   */
  private applyRun(run: MutationWork[], nowMs: number): StoredResult[] {
    const scans: ScanToRecord[] = [];
    for (const { apply } of run) if (apply.kind === 'recordCheckIn') scans.push(apply);
    const outcomes = this.checkins.recordMany(scans);
    let next = 0;
    const results = run.map(({ claim, apply }): StoredResult => {
      if (apply.kind === 'reject') return apply.result;
      if (apply.kind !== 'recordCheckIn') throw new Error(`applyRun cannot apply ${apply.kind}`);
      const outcome = outcomes[next++]!;
      if ('error' in outcome) {
        // recordMany answers only client errors; anything else has thrown and undoes the transaction.
        return { status: 'rejected', code: outcome.error.code, message: outcome.error.message };
      }
      return appliedResult(claim, { superseded: false, hlc: outcome.row.hlc });
    });
    for (let start = 0; start < run.length; start += RECORDS_PER_INSERT) {
      const slice = run.slice(start, start + RECORDS_PER_INSERT);
      const values: unknown[] = [];
      slice.forEach(({ claim }, index) => {
        values.push(
          claim.id,
          claim.userId,
          claim.deviceId,
          claim.name,
          claim.argsHash,
          claim.hlc,
          'done',
          JSON.stringify(results[start + index]),
          nowMs,
        );
      });
      this.insertMany.forRows(slice.length).run(...values);
    }
    return results;
  }

  /** Applies one mutation inside the caller's transaction and answers its result; `existing` is its ledger record. */
  private applyOne(work: MutationWork, nowMs: number, existing: MutationRecord | undefined): StoredResult {
    const { claim, apply } = work;
    if (existing) {
      if (existing.user_id !== claim.userId || existing.name !== claim.name || existing.args_hash !== claim.argsHash) {
        return {
          status: 'rejected',
          code: 'MUTATION_ID_REUSED',
          message: `Mutation id ${truncateText(claim.id, 64)} was already used for a different mutation`,
        };
      }
      if (existing.status === 'done' && existing.result !== null) return parseJson<StoredResult>(existing.result);
    }
    let result: StoredResult;
    if (apply.kind === 'reject') {
      result = apply.result;
    } else {
      try {
        result = appliedResult(
          claim,
          this.database.transaction(() => this.run(apply)),
        );
      } catch (error) {
        // A client's mistake (its savepoint undone) is the mutation's answer; anything else —
        // a full disk, a bug — undoes the whole transaction and fails the call.
        if (!(error instanceof GatehouseError) || error.status >= 500) throw error;
        result = { status: 'rejected', code: error.code, message: error.message };
      }
    }
    this.insertRow.run({
      id: claim.id,
      user_id: claim.userId,
      device_id: claim.deviceId,
      name: claim.name,
      args_hash: claim.argsHash,
      hlc: claim.hlc,
      status: 'done',
      result: JSON.stringify(result),
      applied_at_ms: nowMs,
    });
    return result;
  }

  async applyBatch(work: MutationWork[]): Promise<StoredResult[]> {
    const push = this.turns.newPush();
    const chunks: Array<Promise<StoredResult[]>> = [];
    for (let start = 0; start < work.length; start += ITEMS_PER_TRANSACTION) {
      const chunk = work.slice(start, start + ITEMS_PER_TRANSACTION);
      chunks.push(this.turns.run(() => this.applyChunk(chunk, Date.now()), chunk.length, push));
    }
    return (await Promise.all(chunks)).flat();
  }

  /** Resolves when every batch in flight has finished (its outcome is its caller's). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  repository(): MutationLedger {
    const { database } = this;
    return {
      applyBatch: (work) => {
        const batch = this.applyBatch(work);
        this.running.add(batch);
        void batch.then(
          () => this.running.delete(batch),
          () => this.running.delete(batch),
        );
        return batch;
      },
      find: (id) =>
        database.read((): LedgerEntry | null => {
          const record = this.byId.get(id);
          if (!record) return null;
          return {
            id: record.id,
            userId: record.user_id,
            deviceId: record.device_id,
            name: record.name,
            argsHash: record.args_hash,
            hlc: record.hlc,
            status: record.status,
            result: record.result === null ? null : parseJson<StoredResult>(record.result),
          };
        }),
    };
  }
}
