import type { Migration } from './index';

/**
 * Exports and personal-data erasure (issue #20, parts 2 and 5):
 * - the check-in log export pages an event's scans and refusals in door order (hlc, id);
 * - `bookings.erased_at`: when the attendee's name and email were erased (null: never);
 * - `events.erase_attendees_after_days`: erase an event's attendees this many days after it ends
 *   (null: never), read by the erasure sweeper;
 * - an erasure rewrites the earlier change-log entries, alerts and mail of one booking: each found
 *   by an index rather than a walk of the whole event.
 */
export const migration011: Migration = {
  version: 11,
  name: 'exports-and-erasure',
  sql: `
CREATE INDEX checkins_by_event_hlc ON checkins (event_id, hlc, id);
CREATE INDEX refusals_by_event_hlc ON refusals (event_id, hlc, id);
ALTER TABLE bookings ADD COLUMN erased_at TEXT;
CREATE INDEX bookings_not_erased ON bookings (event_id, created_at, id) WHERE erased_at IS NULL;
ALTER TABLE events ADD COLUMN erase_attendees_after_days INTEGER;
CREATE INDEX changes_by_row ON changes (bucket, id);
CREATE INDEX alerts_by_booking ON alerts (booking_id);
CREATE INDEX mail_by_booking ON mail (booking_id) WHERE booking_id IS NOT NULL;
CREATE INDEX idempotency_claims_by_resource ON idempotency_claims (resource_id);
`,
};
