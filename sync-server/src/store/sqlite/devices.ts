import type Database from 'better-sqlite3';
import { touchIsRecorded } from '../device-touch';
import type { DeviceRepository } from '../port';
import type { DeviceRow } from '../rows';
import type { SqliteDatabase } from './database';
import { pageLimit } from './sql';

export type DeviceRecord = {
  id: string;
  user_id: string;
  name: string | null;
  first_seen_at: string;
  last_seen_at: string;
  revoked: number;
  revoked_at: string | null;
  clock_offset_ms: number | null;
  session_id: string | null;
};

export function toDeviceRow(record: DeviceRecord): DeviceRow {
  return {
    id: record.id,
    userId: record.user_id,
    name: record.name,
    firstSeenAt: record.first_seen_at,
    lastSeenAt: record.last_seen_at,
    revoked: record.revoked === 1,
    revokedAt: record.revoked_at,
    clockOffsetMs: record.clock_offset_ms,
    sessionId: record.session_id,
  };
}

type ListParams = { userId: string | null; afterValue: string | null; afterId: string | null; limit: number };

/** The device registry. Not logged: devices do not sync the registry itself. */
export class SqliteDevices {
  private readonly touchRow: Database.Statement<
    { id: string; userId: string; at: string; clockOffsetMs: number | null; sessionId: string | null },
    DeviceRecord
  >;
  private readonly byId: Database.Statement<[string], DeviceRecord>;
  private readonly lists: Record<
    'all' | 'allAfter' | 'user' | 'userAfter',
    Database.Statement<ListParams, DeviceRecord>
  >;
  private readonly revokeRow: Database.Statement<{ id: string; userId: string | null; at: string }, DeviceRecord>;

  constructor(private readonly database: SqliteDatabase) {
    const { db } = database;
    this.touchRow = db.prepare(
      `INSERT INTO devices (id, user_id, name, first_seen_at, last_seen_at, revoked, revoked_at, clock_offset_ms, session_id)
       VALUES (@id, @userId, NULL, @at, @at, 0, NULL, @clockOffsetMs, @sessionId)
       ON CONFLICT (id) DO UPDATE SET
         user_id = excluded.user_id,
         last_seen_at = excluded.last_seen_at,
         clock_offset_ms = coalesce(excluded.clock_offset_ms, clock_offset_ms),
         session_id = coalesce(excluded.session_id, session_id)
       RETURNING *`,
    );
    this.byId = db.prepare('SELECT * FROM devices WHERE id = ?');
    const order = 'ORDER BY first_seen_at, id LIMIT @limit';
    const after = '(first_seen_at, id) > (@afterValue, @afterId)';
    this.lists = {
      all: db.prepare(`SELECT * FROM devices WHERE @userId IS NULL AND @afterValue IS NULL ${order}`),
      allAfter: db.prepare(`SELECT * FROM devices WHERE @userId IS NULL AND ${after} ${order}`),
      user: db.prepare(`SELECT * FROM devices WHERE user_id = @userId AND @afterValue IS NULL ${order}`),
      userAfter: db.prepare(`SELECT * FROM devices WHERE user_id = @userId AND ${after} ${order}`),
    };
    this.revokeRow = db.prepare(
      `UPDATE devices SET revoked = 1, revoked_at = coalesce(revoked_at, @at)
       WHERE id = @id AND (@userId IS NULL OR user_id = @userId)
       RETURNING *`,
    );
  }

  repository(): DeviceRepository {
    const { database } = this;
    return {
      touch: async (input) => {
        const stored = await database.read(() => this.byId.get(input.deviceId));
        if (stored) {
          const row = toDeviceRow(stored);
          if (touchIsRecorded(row, input)) return row;
        }
        return database.write(() =>
          toDeviceRow(
            this.touchRow.get({
              id: input.deviceId,
              userId: input.userId,
              at: input.at,
              clockOffsetMs: input.clockOffsetMs ?? null,
              sessionId: input.sessionId ?? null,
            })!,
          ),
        );
      },
      findById: (id) =>
        database.read(() => {
          const record = this.byId.get(id);
          return record ? toDeviceRow(record) : null;
        }),
      list: (scope, after, limit) =>
        database.read(() => {
          const statement =
            scope.userId === undefined
              ? after
                ? this.lists.allAfter
                : this.lists.all
              : after
                ? this.lists.userAfter
                : this.lists.user;
          return statement
            .all({
              userId: scope.userId ?? null,
              afterValue: after?.value ?? null,
              afterId: after?.id ?? null,
              limit: pageLimit(limit),
            })
            .map(toDeviceRow);
        }),
      revoke: (id, scope, at) =>
        database.write(() => {
          const record = this.revokeRow.get({ id, userId: scope.userId ?? null, at });
          return record ? toDeviceRow(record) : null;
        }),
    };
  }
}
