import type Database from 'better-sqlite3';
import type { LockoutRepository } from '../port';
import type { SqliteDatabase } from './database';

/** Counters untouched this long start again from zero (the MongoDB adapter's TTL index does the same). */
const LOCKOUT_IDLE_RESET_MS = 86_400_000;

/** Failed sign-in counters and locks per key. */
export class SqliteLockouts {
  private readonly lockedUntilOf: Database.Statement<[string], { until: number | null }>;
  private readonly bump: Database.Statement<{ key: string; now: number; idleBefore: number }, { failures: number }>;
  private readonly setLock: Database.Statement<{ key: string; until: number; now: number }>;
  private readonly remove: Database.Statement<[string]>;
  private readonly purgeIdle: Database.Statement<{ idleBefore: number; now: number }>;

  constructor(private readonly database: SqliteDatabase) {
    const { db } = database;
    this.lockedUntilOf = db.prepare(
      'SELECT max(locked_until_ms) AS until FROM lockouts WHERE key IN (SELECT value FROM json_each(?))',
    );
    this.bump = db.prepare(
      `INSERT INTO lockouts (key, failures, locked_until_ms, updated_at_ms) VALUES (@key, 1, 0, @now)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN updated_at_ms < @idleBefore THEN 1 ELSE failures + 1 END,
         updated_at_ms = @now
       RETURNING failures`,
    );
    this.setLock = db.prepare(
      `INSERT INTO lockouts (key, failures, locked_until_ms, updated_at_ms) VALUES (@key, 0, @until, @now)
       ON CONFLICT (key) DO UPDATE SET locked_until_ms = @until, updated_at_ms = @now`,
    );
    this.remove = db.prepare('DELETE FROM lockouts WHERE key = ?');
    this.purgeIdle = db.prepare('DELETE FROM lockouts WHERE updated_at_ms < @idleBefore AND locked_until_ms < @now');
  }

  purge(nowMs: number): number {
    return this.purgeIdle.run({ idleBefore: nowMs - LOCKOUT_IDLE_RESET_MS, now: nowMs }).changes;
  }

  repository(): LockoutRepository {
    const { database } = this;
    return {
      lockedUntil: (keys) =>
        database.read(() => (keys.length === 0 ? 0 : (this.lockedUntilOf.get(JSON.stringify(keys))?.until ?? 0))),
      recordFailure: (key, nowMs) =>
        database.write(() => this.bump.get({ key, now: nowMs, idleBefore: nowMs - LOCKOUT_IDLE_RESET_MS })!.failures),
      lock: (key, untilMs) => database.write(() => void this.setLock.run({ key, until: untilMs, now: Date.now() })),
      clear: (key) => database.write(() => void this.remove.run(key)),
    };
  }
}
