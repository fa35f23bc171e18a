import type { Migration } from './index';

/**
 * CSV import of attendees: a booking's external id (Eventbrite attendee number, pretix order code
 * and position), unique within its event, and a lookup of an event's bookings by email — the two
 * ways a re-import finds the booking a row made before instead of adding it twice.
 */
export const migration010: Migration = {
  version: 10,
  name: 'booking-import',
  sql: `
ALTER TABLE bookings ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX bookings_external_id ON bookings (event_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX bookings_by_email ON bookings (event_id, attendee_email) WHERE attendee_email IS NOT NULL;
`,
};
