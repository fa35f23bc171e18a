import type Database from 'better-sqlite3';
import type { Migration } from './index';

const COLUMNS = 'id, event_id, rev, server_doc, doc, code, name_lower, email_lower, status, created_at, doc_is_server';

/**
 * Bookings are keyed by a unique index the initial sync can drop, instead of a PRIMARY KEY it
 * cannot (#15, initial_sync). Booking ids are random (v4 UUIDs from the server), so every page of
 * an initial sync inserted into a key index of random order: at 100,000 bookings each page of 2,000
 * dirtied most of that index's pages, every commit wrote them all to the WAL again, and with a small
 * page cache the inserts read them back too — the largest part of the device's ready-to-scan time.
 * Now an initial sync appends rows with no index at all and builds `bookings_id` once, sorted, with
 * the code and list indexes (db/booking-indexes.ts); every other write keys by it as before
 * (`ON CONFLICT (id)` targets a unique index as it did the primary key).
 *
 * The table is rebuilt (SQLite cannot drop a primary key): rows keep their rowids, which the search
 * index and the photo fill refer to; the other indexes and the triggers of migrations 004 and 016
 * are read from the schema before the old table goes and created again as they were. A database
 * caught mid-initial-sync (phase `syncing`) gets no `bookings_id` yet: its sync appends, and builds
 * it when it catches up.
 */
export const migration017: Migration = {
  version: 17,
  name: 'bookings droppable key',
  sql: '',
  run(db: Database.Database) {
    const dependents = db
      .prepare(
        `SELECT sql FROM sqlite_master
         WHERE tbl_name = 'bookings' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name`,
      )
      .pluck()
      .all() as string[];
    const phase = db.prepare(`SELECT value FROM sync_state WHERE key = 'phase'`).pluck().get() as string | undefined;
    db.exec(`
      CREATE TABLE bookings_017 (
        id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        rev INTEGER NOT NULL DEFAULT 0,
        server_doc TEXT,
        doc TEXT,
        code TEXT,
        name_lower TEXT,
        email_lower TEXT,
        status TEXT,
        created_at TEXT,
        doc_is_server INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO bookings_017 (rowid, ${COLUMNS}) SELECT rowid, ${COLUMNS} FROM bookings ORDER BY rowid;
      DROP TABLE bookings;
      ALTER TABLE bookings_017 RENAME TO bookings;
    `);
    if (phase !== 'syncing') db.exec('CREATE UNIQUE INDEX bookings_id ON bookings (id)');
    for (const sql of dependents) db.exec(sql);
  },
};
