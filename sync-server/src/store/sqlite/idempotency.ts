import type Database from 'better-sqlite3';
import type { IdempotencyClaim, IdempotencyRepository } from '../port';
import type { SqliteDatabase } from './database';

type ClaimRecord = { request_hash: string; booking_id: string; created_at_ms: number };

/** Idempotency-Key claims of online bookings. */
export class SqliteIdempotency {
  private readonly insertClaim: Database.Statement<[string, string, string, number]>;
  private readonly byKey: Database.Statement<[string], ClaimRecord>;
  private readonly releaseClaim: Database.Statement<[string, string]>;

  constructor(private readonly database: SqliteDatabase) {
    const { db } = database;
    this.insertClaim = db.prepare(
      `INSERT INTO idempotency_claims (key, request_hash, booking_id, created_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO NOTHING`,
    );
    this.byKey = db.prepare('SELECT request_hash, booking_id, created_at_ms FROM idempotency_claims WHERE key = ?');
    this.releaseClaim = db.prepare('DELETE FROM idempotency_claims WHERE key = ? AND booking_id = ?');
  }

  claim(key: string, requestHash: string, bookingId: string, nowMs: number): IdempotencyClaim {
    if (this.insertClaim.run(key, requestHash, bookingId, nowMs).changes === 1) return { kind: 'new' };
    const existing = this.byKey.get(key)!;
    return {
      kind: 'existing',
      requestHash: existing.request_hash,
      bookingId: existing.booking_id,
      createdAtMs: existing.created_at_ms,
    };
  }

  repository(): IdempotencyRepository {
    const { database } = this;
    return {
      claim: (key, requestHash, bookingId, nowMs) =>
        database.write(() => this.claim(key, requestHash, bookingId, nowMs)),
      release: (key, bookingId) => database.write(() => void this.releaseClaim.run(key, bookingId)),
    };
  }
}
