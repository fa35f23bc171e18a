import type Database from 'better-sqlite3';
import type { ImportProgressRepository, ImportProgressRow } from '../port';
import type { SqliteDatabase } from './database';

type ProgressRecord = {
  event_id: string;
  import_id: string;
  user_id: string;
  phase: ImportProgressRow['phase'];
  rows_read: number;
  rows_total: number | null;
  rows_written: number;
  updated_at_ms: number;
};

/** Import progress (port.ts ImportProgressRepository): the `import_progress` table (migration 015). */
export class SqliteImportProgress {
  private readonly upsert: Database.Statement<ProgressRecord>;
  private readonly byKey: Database.Statement<[string, string], ProgressRecord>;
  private readonly older: Database.Statement<[number]>;

  constructor(private readonly database: SqliteDatabase) {
    const { db } = database;
    this.upsert = db.prepare(
      `INSERT OR REPLACE INTO import_progress
         (event_id, import_id, user_id, phase, rows_read, rows_total, rows_written, updated_at_ms)
       VALUES (@event_id, @import_id, @user_id, @phase, @rows_read, @rows_total, @rows_written, @updated_at_ms)`,
    );
    this.byKey = db.prepare('SELECT * FROM import_progress WHERE event_id = ? AND import_id = ?');
    this.older = db.prepare('DELETE FROM import_progress WHERE updated_at_ms < ?');
  }

  repository(): ImportProgressRepository {
    return {
      record: (row) =>
        this.database.write(() => {
          this.upsert.run({
            event_id: row.eventId,
            import_id: row.importId,
            user_id: row.userId,
            phase: row.phase,
            rows_read: row.rowsRead,
            rows_total: row.rowsTotal,
            rows_written: row.rowsWritten,
            updated_at_ms: row.updatedAtMs,
          });
        }),
      get: async (eventId, importId) => {
        const record = this.byKey.get(eventId, importId);
        if (!record) return null;
        return {
          eventId: record.event_id,
          importId: record.import_id,
          userId: record.user_id,
          phase: record.phase,
          rowsRead: record.rows_read,
          rowsTotal: record.rows_total,
          rowsWritten: record.rows_written,
          updatedAtMs: record.updated_at_ms,
        };
      },
      prune: (beforeMs) =>
        this.database.write(() => {
          this.older.run(beforeMs);
        }),
    };
  }
}
