import type Database from 'better-sqlite3';
import type { IdempotencyClaim, IdempotencyRepository, IdempotentAnswer } from '../port';
import type { SqliteDatabase } from './database';

type ClaimRecord = {
  request_hash: string;
  resource_id: string;
  created_at_ms: number;
  answer_status: number | null;
  answer_body: string | null;
};

/** Idempotency-Key claims of the creating routes, with the answer each gave. */
export class SqliteIdempotency {
  private readonly insertClaim: Database.Statement<[string, string, string, number]>;
  private readonly byKey: Database.Statement<[string], ClaimRecord>;
  private readonly saveAnswer: Database.Statement<[number, string, string, string]>;
  private readonly releaseClaim: Database.Statement<[string, string]>;
  private readonly purgeOlder: Database.Statement<[number]>;

  constructor(private readonly database: SqliteDatabase) {
    const { db } = database;
    this.insertClaim = db.prepare(
      `INSERT INTO idempotency_claims (key, request_hash, resource_id, created_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO NOTHING`,
    );
    this.byKey = db.prepare(
      `SELECT request_hash, resource_id, created_at_ms, answer_status, answer_body
       FROM idempotency_claims WHERE key = ?`,
    );
    this.saveAnswer = db.prepare(
      'UPDATE idempotency_claims SET answer_status = ?, answer_body = ? WHERE key = ? AND resource_id = ?',
    );
    this.releaseClaim = db.prepare('DELETE FROM idempotency_claims WHERE key = ? AND resource_id = ?');
    this.purgeOlder = db.prepare('DELETE FROM idempotency_claims WHERE created_at_ms < ?');
  }

  claim(key: string, requestHash: string, resourceId: string, nowMs: number): IdempotencyClaim {
    if (this.insertClaim.run(key, requestHash, resourceId, nowMs).changes === 1) return { kind: 'new' };
    const existing = this.byKey.get(key)!;
    return {
      kind: 'existing',
      requestHash: existing.request_hash,
      resourceId: existing.resource_id,
      createdAtMs: existing.created_at_ms,
      answer:
        existing.answer_status === null || existing.answer_body === null
          ? null
          : { status: existing.answer_status, body: existing.answer_body },
    };
  }

  /** Forgets claims taken before `beforeMs` (the MongoDB adapter's TTL index does the same). */
  purge(beforeMs: number): void {
    this.purgeOlder.run(beforeMs);
  }

  repository(): IdempotencyRepository {
    const { database } = this;
    return {
      claim: (key, requestHash, resourceId, nowMs) =>
        database.write(() => this.claim(key, requestHash, resourceId, nowMs)),
      complete: (key, resourceId, answer: IdempotentAnswer) =>
        database.write(() => void this.saveAnswer.run(answer.status, answer.body, key, resourceId)),
      release: (key, resourceId) => database.write(() => void this.releaseClaim.run(key, resourceId)),
    };
  }
}
