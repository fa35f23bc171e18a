import type { Migration } from './index';

/**
 * Scans are ordered by HLC, then id, everywhere (protocol/src/checkins): the device clock's
 * `scanned_at` orders nothing. "Last scans" reads an event's newest by `(hlc, id)`, and a ticket's
 * scans are read by booking; the `scanned_at` indexes of migration 001 only cost writes.
 */
export const migration005: Migration = {
  version: 5,
  name: 'checkins by hlc',
  sql: `
    CREATE INDEX checkins_event_hlc ON checkins (event_id, hlc, id);
    CREATE INDEX checkins_booking_hlc ON checkins (booking_id, hlc, id);
    DROP INDEX checkins_booking;
    DROP INDEX checkins_event;
  `,
};
