import type { Migration } from './index';

/**
 * Attendees' photos of the bookings this device holds (#20 part 4), for the steward to compare
 * faces at the door. One row per booking whose doc names a `photoId`: `photo_id` is the photo the
 * booking names now, `stored_photo_id` the one whose bytes are here (null: none yet). A row whose
 * two differ is due for the photo fetcher (photos/fetcher.ts), `required` ones (the ticket type
 * requires a photo) first. Rows are kept in step by the pull (photos/rows.ts), not by triggers: a
 * trigger's JSON read on every booking stored would cost an initial sync ~1 µs a row. Bookings
 * already here when the device is updated are entered once, below.
 */
export const migration013: Migration = {
  version: 13,
  name: 'photos',
  sql: `
    CREATE TABLE photos (
      booking_id TEXT PRIMARY KEY,
      event_id TEXT NOT NULL,
      photo_id TEXT NOT NULL,
      required INTEGER NOT NULL DEFAULT 0,
      stored_photo_id TEXT,
      content_type TEXT,
      bytes BLOB,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at_ms INTEGER NOT NULL DEFAULT 0,
      last_error TEXT
    );
    CREATE INDEX photos_event ON photos (event_id);
    CREATE INDEX photos_due ON photos (required DESC, next_attempt_at_ms, booking_id)
      WHERE stored_photo_id IS NOT photo_id;
    INSERT INTO photos (booking_id, event_id, photo_id)
      SELECT id, event_id, json_extract(doc, '$.photoId') FROM bookings
      WHERE json_extract(doc, '$.photoId') IS NOT NULL;
  `,
};
