import type { Migration } from './index';

/**
 * The door's records of protocol version 2:
 * - undone admissions (`checkin.void`): a void is a check-in row of its own, `direction = 'void'`,
 *   naming the admission it undoes; the door rules leave that admission out (protocol/src/checkins);
 * - refused scans (`scan.refuse`): why, where, by which device, kept for the organizer's audit.
 *   Not check-ins: a refusal may name no booking at all (a scan of garbage, another event's ticket).
 */
export const migration004: Migration = {
  version: 4,
  name: 'door-records',
  sql: `
ALTER TABLE checkins ADD COLUMN voids TEXT;

CREATE TABLE refusals (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  gate TEXT NOT NULL,
  direction TEXT NOT NULL,
  reason TEXT NOT NULL,
  booking_id TEXT,
  ticket_event_id TEXT,
  scanned_at TEXT NOT NULL,
  device_id TEXT NOT NULL,
  staff_id TEXT NOT NULL,
  hlc TEXT NOT NULL,
  received_at TEXT NOT NULL,
  rev INTEGER NOT NULL
) WITHOUT ROWID;
-- listForEvent: an event's newest first
CREATE INDEX refusals_by_event ON refusals (event_id, hlc DESC, id);
`,
};
