import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { GatehouseError } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { storeErrors } from '../errors';
import type { LedgerEntry, MutationLedger, MutationWork, StoreOp } from '../port';
import type { StoredResult } from '../rows';
import type { SqliteBookings } from './bookings';
import type { SqliteCheckins } from './checkins';
import type { SqliteDatabase } from './database';
import type { SqliteEvents } from './events';
import { parseJson } from './sql';

/**
 * Mutations applied per transaction. A push of 500 check-ins is five commits of a few milliseconds
 * each, with the event loop free in between, rather than one long stall.
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

const APPLIED: StoredResult = { status: 'applied' };

/**
 * Runs write transactions one per turn of the event loop, in arrival order. Fifty devices pushing
 * at once then interleave their chunks with every other request (each waits for at most one
 * chunk, a few milliseconds), instead of all their chunks running back to back in one turn.
 */
class TurnQueue {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly database: SqliteDatabase) {}

  run<T>(fn: () => T): Promise<T> {
    const turn = this.tail.then(() => yieldToEventLoop()).then(() => this.database.write(fn));
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}

/**
 * The exactly-once ledger. Each mutation runs in a savepoint inside its chunk's transaction, and its
 * ledger row is written in that same transaction: effects, change-log appends and the record
 * commit together or not at all, so a mutation is never half-applied nor applied twice.
 */
export class SqliteLedger {
  private readonly byId: Database.Statement<[string], MutationRecord>;
  private readonly insertRow: Database.Statement<MutationRecord>;
  /** Batches in flight, so close() can let them finish. */
  private readonly running = new Set<Promise<unknown>>();
  /** Chunks of every batch in flight, one per turn of the event loop. */
  private readonly turns: TurnQueue;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly checkins: SqliteCheckins,
    private readonly bookings: SqliteBookings,
    private readonly events: SqliteEvents,
  ) {
    this.turns = new TurnQueue(database);
    const { db } = database;
    this.byId = db.prepare('SELECT * FROM mutations WHERE id = ?');
    this.insertRow = db.prepare(
      `INSERT INTO mutations (id, user_id, device_id, name, args_hash, hlc, status, result, applied_at_ms)
       VALUES (@id, @user_id, @device_id, @name, @args_hash, @hlc, @status, @result, @applied_at_ms)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, result = excluded.result,
         applied_at_ms = excluded.applied_at_ms`,
    );
  }

  /** One op, the same code path as the repository method of the same name. */
  private run(op: StoreOp): void {
    switch (op.kind) {
      case 'recordCheckIn':
        this.checkins.record(op.row, op.deriveAlerts);
        return;
      case 'book':
        this.bookings.book(op.input);
        return;
      case 'cancelBooking':
        if (!this.bookings.cancel(op.bookingId, op.at, op.mailFor)) throw storeErrors.bookingNotInEvent(op.bookingId);
        return;
      case 'updateEvent':
        if (!this.events.update(op.eventId, op.edit)) throw storeErrors.eventNotFound();
        return;
    }
  }

  /** Applies one mutation inside the caller's transaction and answers its result. */
  private applyOne(work: MutationWork, nowMs: number): StoredResult {
    const { claim, apply } = work;
    const existing = this.byId.get(claim.id);
    if (existing) {
      if (existing.user_id !== claim.userId || existing.name !== claim.name || existing.args_hash !== claim.argsHash) {
        return {
          status: 'rejected',
          code: 'MUTATION_ID_REUSED',
          message: `Mutation id ${claim.id.slice(0, 64)} was already used for a different mutation`,
        };
      }
      if (existing.status === 'done' && existing.result !== null) return parseJson<StoredResult>(existing.result);
    }
    let result: StoredResult;
    if (apply.kind === 'reject') {
      result = apply.result;
    } else {
      try {
        this.database.transaction(() => this.run(apply));
        result = APPLIED;
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
    const results: StoredResult[] = [];
    for (let start = 0; start < work.length; start += ITEMS_PER_TRANSACTION) {
      const chunk = work.slice(start, start + ITEMS_PER_TRANSACTION);
      results.push(...(await this.turns.run(() => chunk.map((item) => this.applyOne(item, Date.now())))));
    }
    return results;
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
