import type Database from 'better-sqlite3';
import type { EmailChangeOutcome, EmailChangeRepository, EmailChangeRow } from '../port';
import type { SqliteDatabase } from './database';
import type { SqliteUsers } from './users';

type EmailChangeRecord = {
  user_id: string;
  new_email: string;
  token_hash: string;
  requested_at: string;
  expires_at_ms: number;
  used_at_ms: number | null;
};

function toRow(record: EmailChangeRecord): EmailChangeRow {
  return {
    userId: record.user_id,
    newEmail: record.new_email,
    tokenHash: record.token_hash,
    requestedAt: record.requested_at,
    expiresAtMs: record.expires_at_ms,
    usedAtMs: record.used_at_ms,
  };
}

/** Pending email changes, one row per user; a confirm is one transaction with the user's update. */
export class SqliteEmailChanges {
  private readonly upsert: Database.Statement<Omit<EmailChangeRecord, 'used_at_ms'>>;
  private readonly byUser: Database.Statement<[string], EmailChangeRecord>;
  private readonly byHash: Database.Statement<[string], EmailChangeRecord>;
  private readonly markUsed: Database.Statement<{ hash: string; now: number }>;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly users: SqliteUsers,
  ) {
    const { db } = database;
    this.upsert = db.prepare(
      `INSERT INTO email_changes (user_id, new_email, token_hash, requested_at, expires_at_ms, used_at_ms)
       VALUES (@user_id, @new_email, @token_hash, @requested_at, @expires_at_ms, NULL)
       ON CONFLICT (user_id) DO UPDATE SET new_email = excluded.new_email, token_hash = excluded.token_hash,
         requested_at = excluded.requested_at, expires_at_ms = excluded.expires_at_ms, used_at_ms = NULL`,
    );
    this.byUser = db.prepare('SELECT * FROM email_changes WHERE user_id = ? AND used_at_ms IS NULL');
    this.byHash = db.prepare('SELECT * FROM email_changes WHERE token_hash = ?');
    this.markUsed = db.prepare('UPDATE email_changes SET used_at_ms = @now WHERE token_hash = @hash');
  }

  private confirm(tokenHash: string, nowMs: number, at: string): EmailChangeOutcome {
    const record = this.byHash.get(tokenHash);
    if (!record) return { kind: 'unknown' };
    if (record.used_at_ms !== null) return { kind: 'used' };
    if (record.expires_at_ms <= nowMs) return { kind: 'expired' };
    const before = this.users.find(record.user_id);
    if (!before) return { kind: 'unknown' };
    const holder = this.users.findByEmail(record.new_email);
    if (holder && holder.id !== record.user_id) return { kind: 'taken' };
    const user = this.users.setEmail(record.user_id, record.new_email, at)!;
    this.markUsed.run({ hash: tokenHash, now: nowMs });
    return { kind: 'applied', user, oldEmail: before.email };
  }

  repository(): EmailChangeRepository {
    const { database } = this;
    return {
      request: (row) =>
        database.write(
          () =>
            void this.upsert.run({
              user_id: row.userId,
              new_email: row.newEmail,
              token_hash: row.tokenHash,
              requested_at: row.requestedAt,
              expires_at_ms: row.expiresAtMs,
            }),
        ),
      pendingFor: (userId) =>
        database.read(() => {
          const record = this.byUser.get(userId);
          return record ? toRow(record) : null;
        }),
      confirm: (tokenHash, nowMs, at) => database.write(() => this.confirm(tokenHash, nowMs, at)),
    };
  }
}
