import type { Migration } from './index';

/**
 * CSV import: when a ticket was ordered in the system it was imported from (Eventbrite's and
 * pretix's order date), UTC ISO 8601, null on bookings not imported or imported without one; and
 * the progress of running imports (port.ts ImportProgressRepository), one row per import, pruned
 * by age.
 */
export const migration015: Migration = {
  version: 15,
  name: 'import-order-date-and-progress',
  sql: `
ALTER TABLE bookings ADD COLUMN ordered_at TEXT;
CREATE TABLE import_progress (
  event_id TEXT NOT NULL,
  import_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  phase TEXT NOT NULL,
  rows_read INTEGER NOT NULL,
  rows_total INTEGER,
  rows_written INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (event_id, import_id)
) WITHOUT ROWID;
CREATE INDEX import_progress_by_age ON import_progress (updated_at_ms);
`,
};
