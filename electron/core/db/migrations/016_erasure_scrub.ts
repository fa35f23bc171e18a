import type { Migration } from './index';

/**
 * Erased attendees leave the device's disk (#20): bookings whose attendee was erased on the server
 * (`POST /bookings/:id/erasure`; the pulled version carries `erasedAt` and a placeholder name)
 * are noted here by a trigger as the pull stores them, for the scrub (bookings/erasure-scrub.ts),
 * which merges the old words out of the FTS5 segments and truncates the WAL. A table rather than a
 * flag in memory: a crash between the pull's commit and the scrub leaves the note, and the scrub
 * runs at the next open. The trigger fires only on an update that changes the words (name or
 * email), so an initial sync (inserts) and ordinary updates pay nothing but the comparison.
 */
export const migration016: Migration = {
  version: 16,
  name: 'erasure scrub',
  sql: `
    CREATE TABLE erasures_to_scrub (booking_id TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TRIGGER bookings_erased AFTER UPDATE ON bookings
    WHEN (old.name_lower IS NOT new.name_lower OR old.email_lower IS NOT new.email_lower)
      AND json_extract(new.doc, '$.erasedAt') IS NOT NULL BEGIN
      INSERT OR IGNORE INTO erasures_to_scrub (booking_id) VALUES (new.id);
    END;
  `,
};
