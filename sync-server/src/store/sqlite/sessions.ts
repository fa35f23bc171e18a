import type Database from 'better-sqlite3';
import type { RotateOutcome, SessionRepository, SessionSummaryRow } from '../port';
import type { RefreshTokenRow } from '../rows';
import type { SqliteDatabase } from './database';

export type TokenRecord = {
  hash: string;
  family_id: string;
  user_id: string;
  device_id: string | null;
  created_at_ms: number;
  expires_at_ms: number;
  rotated_at_ms: number | null;
  revoked_at_ms: number | null;
};

export function toTokenRow(record: TokenRecord): RefreshTokenRow {
  return {
    hash: record.hash,
    familyId: record.family_id,
    userId: record.user_id,
    deviceId: record.device_id,
    createdAtMs: record.created_at_ms,
    expiresAtMs: record.expires_at_ms,
    rotatedAtMs: record.rotated_at_ms,
    revokedAtMs: record.revoked_at_ms,
  };
}

export function toTokenParams(row: RefreshTokenRow): TokenRecord {
  return {
    hash: row.hash,
    family_id: row.familyId,
    user_id: row.userId,
    device_id: row.deviceId,
    created_at_ms: row.createdAtMs,
    expires_at_ms: row.expiresAtMs,
    rotated_at_ms: row.rotatedAtMs,
    revoked_at_ms: row.revokedAtMs,
  };
}

type ActiveSessionRecord = { family_id: string; user_id: string; device_id: string | null };
type SummaryRecord = ActiveSessionRecord & {
  started_at_ms: number;
  last_active_at_ms: number;
  expires_at_ms: number;
};

/** How long an expired refresh token is kept (for reuse detection) before the purge removes it. */
const EXPIRED_TOKEN_RETENTION_MS = 7 * 86_400_000;

/** Refresh tokens (hashes only) and their rotation. */
export class SqliteSessions {
  private readonly byHash: Database.Statement<[string], TokenRecord>;
  private readonly insertRow: Database.Statement<TokenRecord>;
  private readonly markRotated: Database.Statement<[number, string]>;
  private readonly revokeByFamily: Database.Statement<[number, string]>;
  private readonly revokeByDevice: Database.Statement<[number, string, string]>;
  private readonly purgeExpired: Database.Statement<[number]>;
  private readonly liveToken: Database.Statement<[string, number], ActiveSessionRecord>;
  private readonly summaries: Database.Statement<[string, number], SummaryRecord>;

  constructor(private readonly database: SqliteDatabase) {
    const { db } = database;
    this.byHash = db.prepare('SELECT * FROM refresh_tokens WHERE hash = ?');
    this.insertRow = db.prepare(
      `INSERT INTO refresh_tokens (hash, family_id, user_id, device_id, created_at_ms, expires_at_ms, rotated_at_ms, revoked_at_ms)
       VALUES (@hash, @family_id, @user_id, @device_id, @created_at_ms, @expires_at_ms, @rotated_at_ms, @revoked_at_ms)`,
    );
    this.markRotated = db.prepare('UPDATE refresh_tokens SET rotated_at_ms = ? WHERE hash = ?');
    this.revokeByFamily = db.prepare(
      'UPDATE refresh_tokens SET revoked_at_ms = ? WHERE family_id = ? AND revoked_at_ms IS NULL',
    );
    this.revokeByDevice = db.prepare(
      'UPDATE refresh_tokens SET revoked_at_ms = ? WHERE user_id = ? AND device_id = ? AND revoked_at_ms IS NULL',
    );
    this.purgeExpired = db.prepare('DELETE FROM refresh_tokens WHERE expires_at_ms < ?');
    // A family is on while any of its tokens is unrevoked and unexpired (revocation marks them all).
    this.liveToken = db.prepare(
      `SELECT family_id, user_id, device_id FROM refresh_tokens
       WHERE family_id = ? AND revoked_at_ms IS NULL AND expires_at_ms > ? LIMIT 1`,
    );
    this.summaries = db.prepare(
      `SELECT family_id, user_id, max(device_id) AS device_id, min(created_at_ms) AS started_at_ms,
              max(created_at_ms) AS last_active_at_ms, max(expires_at_ms) AS expires_at_ms
       FROM refresh_tokens WHERE user_id = ? AND revoked_at_ms IS NULL
       GROUP BY family_id HAVING max(expires_at_ms) > ? ORDER BY last_active_at_ms DESC`,
    );
  }

  /** The user's live sessions; ending them all but one is `revokeUser`'s loop over these. */
  private live(userId: string, nowMs: number): SessionSummaryRow[] {
    return this.summaries.all(userId, nowMs).map((record) => ({
      familyId: record.family_id,
      userId: record.user_id,
      deviceId: record.device_id,
      startedAtMs: record.started_at_ms,
      lastActiveAtMs: record.last_active_at_ms,
      expiresAtMs: record.expires_at_ms,
    }));
  }

  private endUserSessions(userId: string, nowMs: number, exceptFamilyId: string | undefined): number {
    let ended = 0;
    for (const session of this.live(userId, nowMs)) {
      if (session.familyId === exceptFamilyId) continue;
      this.revokeByFamily.run(nowMs, session.familyId);
      ended += 1;
    }
    return ended;
  }

  private endDeviceSessions(userId: string, deviceId: string, nowMs: number): number {
    const ended = this.live(userId, nowMs).filter((session) => session.deviceId === deviceId).length;
    this.revokeByDevice.run(nowMs, userId, deviceId);
    return ended;
  }

  private endFamily(familyId: string, nowMs: number, userId: string | undefined): number {
    const live = this.liveToken.get(familyId, nowMs);
    if (!live || (userId !== undefined && live.user_id !== userId)) return 0;
    this.revokeByFamily.run(nowMs, familyId);
    return 1;
  }

  /**
   * Reading the token and marking it rotated are one transaction, and this process is the only
   * writer: of two uses of one token, the first is `rotated` and the second finds it `reused`.
   */
  rotate(hash: string, nowMs: number, next: (previous: RefreshTokenRow) => RefreshTokenRow): RotateOutcome {
    const record = this.byHash.get(hash);
    if (!record || record.revoked_at_ms !== null || record.expires_at_ms <= nowMs) return { kind: 'invalid' };
    if (record.rotated_at_ms !== null) return { kind: 'reused', familyId: record.family_id };
    this.markRotated.run(nowMs, hash);
    const previous = toTokenRow({ ...record, rotated_at_ms: nowMs });
    const following = next(previous);
    this.insertRow.run(toTokenParams(following));
    return { kind: 'rotated', previous, next: following };
  }

  /** Removes tokens expired for a week (the MongoDB adapter's TTL index does the same). */
  purge(nowMs: number): number {
    return this.purgeExpired.run(nowMs - EXPIRED_TOKEN_RETENTION_MS).changes;
  }

  repository(): SessionRepository {
    const { database } = this;
    return {
      insert: (row) => database.write(() => void this.insertRow.run(toTokenParams(row))),
      findByHash: (hash) =>
        database.read(() => {
          const record = this.byHash.get(hash);
          return record ? toTokenRow(record) : null;
        }),
      rotate: (hash, nowMs, next) => database.write(() => this.rotate(hash, nowMs, next)),
      activeSession: (familyId, nowMs) =>
        database.read(() => {
          const record = this.liveToken.get(familyId, nowMs);
          return record ? { familyId: record.family_id, userId: record.user_id, deviceId: record.device_id } : null;
        }),
      listActive: (userId, nowMs) => database.read(() => this.live(userId, nowMs)),
      revokeFamily: (familyId, nowMs, userId) => database.write(() => this.endFamily(familyId, nowMs, userId)),
      revokeUser: (userId, nowMs, exceptFamilyId) =>
        database.write(() => this.endUserSessions(userId, nowMs, exceptFamilyId)),
      revokeDevice: (userId, deviceId, nowMs) => database.write(() => this.endDeviceSessions(userId, deviceId, nowMs)),
    };
  }
}
