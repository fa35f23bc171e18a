import type { Migration } from './index';

/**
 * The first schema. Conventions: instants devices see are ISO strings (`*_at`), instants only the
 * server compares are epoch ms (`*_ms`); booleans are 0/1; small nested values (ticket types, staff
 * ids, per-type counts, per-field clocks, stored results, hand-off items) are JSON text. Tables
 * keyed by a text id with small rows are WITHOUT ROWID, so the row lives in its primary-key b-tree
 * and is not stored twice. Every index below serves a named query; none is speculative.
 */
export const migration001: Migration = {
  version: 1,
  name: 'initial',
  sql: `
PRAGMA application_id = 1195922259;

-- What tells a Gatehouse sync-server file from any other SQLite file (with application_id).
CREATE TABLE gatehouse_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO gatehouse_meta (key, value) VALUES ('format', 'gatehouse-sync-server');

-- Server secrets kept with the data (the JWT signing key), so a backup or restore keeps sessions valid.
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  disabled INTEGER NOT NULL,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  rev INTEGER NOT NULL
) WITHOUT ROWID;
-- users.list keyset
CREATE INDEX users_by_created ON users (created_at, id);

CREATE TABLE refresh_tokens (
  hash TEXT PRIMARY KEY,
  family_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  device_id TEXT,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  rotated_at_ms INTEGER,
  revoked_at_ms INTEGER
) WITHOUT ROWID;
-- revokeFamily; revokeUser and revokeDevice
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id, device_id);

CREATE TABLE lockouts (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  locked_until_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  name TEXT,
  first_seen_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  revoked INTEGER NOT NULL,
  revoked_at TEXT,
  clock_offset_ms INTEGER
) WITHOUT ROWID;
-- devices.list for admins; for one user
CREATE INDEX devices_by_seen ON devices (last_seen_at, id);
CREATE INDEX devices_by_user ON devices (user_id, last_seen_at, id);

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  rev INTEGER NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  venue TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  starts_at_ms INTEGER NOT NULL,
  ends_at_ms INTEGER NOT NULL,
  timezone TEXT NOT NULL,
  capacity INTEGER NOT NULL,
  status TEXT NOT NULL,
  ticket_types TEXT NOT NULL,
  organizer_id TEXT NOT NULL,
  staff_ids TEXT NOT NULL,
  booked_count INTEGER NOT NULL,
  type_sold TEXT NOT NULL,
  field_hlc TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);
-- events.list keyset; accessibleIds of an organizer
CREATE INDEX events_by_start ON events (starts_at_ms, id);
CREATE INDEX events_by_organizer ON events (organizer_id);

-- events.staff_ids as rows, for "events this user staffs" (visibility, accessibleIds).
CREATE TABLE event_staff (
  user_id TEXT NOT NULL,
  event_id TEXT NOT NULL REFERENCES events (id),
  PRIMARY KEY (user_id, event_id)
) WITHOUT ROWID;

CREATE TABLE ticket_keys (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL REFERENCES events (id),
  kid TEXT NOT NULL,
  public_key TEXT NOT NULL,
  private_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  retired_at TEXT,
  rev INTEGER NOT NULL
);
CREATE INDEX ticket_keys_by_event ON ticket_keys (event_id, created_at, id);

CREATE TABLE bookings (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL REFERENCES events (id),
  user_id TEXT NOT NULL,
  ticket_type_id TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  attendee_name TEXT NOT NULL,
  attendee_email TEXT,
  status TEXT NOT NULL,
  source TEXT NOT NULL,
  over_capacity INTEGER NOT NULL,
  code TEXT NOT NULL,
  created_at TEXT NOT NULL,
  cancelled_at TEXT,
  rev INTEGER NOT NULL,
  -- searchTermsOf(attendee, code), each preceded by char(1): a word is a prefix of a term where
  -- instr(search_terms, char(1) || word) > 0, checked on the row a list already reads.
  search_terms TEXT NOT NULL
) WITHOUT ROWID;
-- listForEvent keyset (and stats), by status too; codes unique within an event; listForUser (online only)
CREATE INDEX bookings_by_event ON bookings (event_id, created_at, id);
CREATE INDEX bookings_by_event_status ON bookings (event_id, status, created_at, id);
CREATE UNIQUE INDEX bookings_code ON bookings (event_id, code);
CREATE INDEX bookings_by_user ON bookings (user_id, created_at, id) WHERE source = 'online';

-- The same terms as rows, for the bookings a rare word matches: a range on (event_id, term).
CREATE TABLE booking_words (
  event_id TEXT NOT NULL,
  term TEXT NOT NULL,
  booking_id TEXT NOT NULL,
  PRIMARY KEY (event_id, term, booking_id)
) WITHOUT ROWID;

CREATE TABLE idempotency_claims (
  key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  booking_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE checkins (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  booking_id TEXT NOT NULL REFERENCES bookings (id),
  gate TEXT NOT NULL,
  direction TEXT NOT NULL,
  scanned_at TEXT NOT NULL,
  device_id TEXT NOT NULL,
  staff_id TEXT NOT NULL,
  hlc TEXT NOT NULL,
  received_at TEXT NOT NULL,
  rev INTEGER NOT NULL
) WITHOUT ROWID;
-- a booking's scans (duplicate detection); an event's (count, list, stats). By receipt time, so a
-- new scan's entry lands at the end of its event's range rather than on a random page.
CREATE INDEX checkins_by_booking ON checkins (booking_id);
CREATE INDEX checkins_by_event ON checkins (event_id, received_at);

CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  booking_id TEXT NOT NULL,
  checkin_id TEXT,
  first_checkin_id TEXT,
  message TEXT NOT NULL,
  created_at TEXT NOT NULL,
  rev INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX alerts_by_event ON alerts (event_id, created_at DESC, id);

-- The exactly-once ledger of pushed mutations. On SQLite a row is written in the same
-- transaction as the mutation's effects, so it is always 'done'.
CREATE TABLE mutations (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  name TEXT NOT NULL,
  args_hash TEXT NOT NULL,
  hlc TEXT NOT NULL,
  status TEXT NOT NULL,
  result TEXT,
  applied_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- The change log: per bucket a gap-free seq, allocated from buckets.seq in the writer's transaction.
CREATE TABLE buckets (
  bucket TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE changes (
  bucket TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  rev INTEGER NOT NULL,
  doc TEXT,
  PRIMARY KEY (bucket, seq)
) WITHOUT ROWID;

CREATE TABLE mail (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  to_address TEXT NOT NULL,
  to_name TEXT NOT NULL,
  subject TEXT NOT NULL,
  html TEXT NOT NULL,
  text TEXT NOT NULL,
  ics TEXT,
  qr_token TEXT,
  event_id TEXT NOT NULL,
  booking_id TEXT,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  claim_seq INTEGER NOT NULL,
  next_attempt_at_ms INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until_ms INTEGER,
  last_error TEXT,
  message_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  sent_at_ms INTEGER
);
-- claim (due pending, lease-expired sending) and countByStatus; list newest first, all or by status
CREATE INDEX mail_due ON mail (status, next_attempt_at_ms);
CREATE INDEX mail_by_created ON mail (created_at_ms, id);
CREATE INDEX mail_by_status_created ON mail (status, created_at_ms, id);

-- Mail owed for a row's change, written in the same transaction as the change.
CREATE TABLE mail_handoffs (
  kind TEXT NOT NULL,
  row_id TEXT NOT NULL,
  items TEXT NOT NULL,
  rev INTEGER NOT NULL,
  PRIMARY KEY (kind, row_id)
) WITHOUT ROWID;

CREATE TABLE mail_fan_outs (
  marker TEXT PRIMARY KEY,
  at_ms INTEGER NOT NULL
) WITHOUT ROWID;
`,
};
