import type { Migration } from './index';

/**
 * Synced tables share one shape: `rev` and `server_doc` are the last version the server published,
 * `doc` is what the UI sees — the server version with this device's pending outbox mutations replayed
 * on top. A row with `doc` NULL is a tombstone (kept so an older rev can never resurrect it).
 * Extra columns are copies of doc fields that queries filter or sort on.
 */
export const migration001: Migration = {
  version: 1,
  name: 'init',
  sql: `
    CREATE TABLE events (
      id TEXT PRIMARY KEY,
      event_id TEXT NOT NULL DEFAULT '',
      rev INTEGER NOT NULL DEFAULT 0,
      server_doc TEXT,
      doc TEXT,
      title_lower TEXT,
      starts_at TEXT
    );
    CREATE INDEX events_starts_at ON events (starts_at);

    CREATE TABLE bookings (
      id TEXT PRIMARY KEY,
      event_id TEXT NOT NULL,
      rev INTEGER NOT NULL DEFAULT 0,
      server_doc TEXT,
      doc TEXT,
      code TEXT,
      name_lower TEXT,
      email_lower TEXT,
      status TEXT,
      created_at TEXT
    );
    CREATE INDEX bookings_event ON bookings (event_id, created_at);
    CREATE INDEX bookings_code ON bookings (event_id, code);
    CREATE INDEX bookings_name ON bookings (event_id, name_lower);
    CREATE INDEX bookings_email ON bookings (event_id, email_lower);

    CREATE TABLE checkins (
      id TEXT PRIMARY KEY,
      event_id TEXT NOT NULL,
      rev INTEGER NOT NULL DEFAULT 0,
      server_doc TEXT,
      doc TEXT,
      booking_id TEXT,
      gate TEXT,
      direction TEXT,
      scanned_at TEXT,
      hlc TEXT
    );
    CREATE INDEX checkins_booking ON checkins (booking_id, scanned_at);
    CREATE INDEX checkins_event ON checkins (event_id, scanned_at);

    CREATE TABLE alerts (
      id TEXT PRIMARY KEY,
      event_id TEXT NOT NULL,
      rev INTEGER NOT NULL DEFAULT 0,
      server_doc TEXT,
      doc TEXT,
      created_at TEXT
    );
    CREATE INDEX alerts_event ON alerts (event_id, created_at);

    CREATE TABLE ticket_keys (
      id TEXT PRIMARY KEY,
      event_id TEXT NOT NULL,
      rev INTEGER NOT NULL DEFAULT 0,
      server_doc TEXT,
      doc TEXT,
      kid TEXT
    );
    CREATE INDEX ticket_keys_kid ON ticket_keys (kid);

    CREATE TABLE users (
      id TEXT PRIMARY KEY,
      event_id TEXT NOT NULL DEFAULT '',
      rev INTEGER NOT NULL DEFAULT 0,
      server_doc TEXT,
      doc TEXT
    );

    CREATE TABLE buckets (bucket TEXT PRIMARY KEY, added_at TEXT NOT NULL);

    CREATE TABLE outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      args TEXT NOT NULL,
      hlc TEXT NOT NULL,
      meta TEXT NOT NULL,
      target_table TEXT NOT NULL,
      target_id TEXT NOT NULL,
      created_at TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX outbox_target ON outbox (target_table, target_id);

    CREATE TABLE rejected_mutations (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      args TEXT NOT NULL,
      code TEXT NOT NULL,
      message TEXT NOT NULL,
      at TEXT NOT NULL
    );

    -- Rows whose mutation the server applied; re-derived from the server's version once a pull has caught up.
    CREATE TABLE stale_rows (tbl TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tbl, id));

    CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
};
