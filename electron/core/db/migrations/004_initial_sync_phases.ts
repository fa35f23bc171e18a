import type { Migration } from './index';

const WORDS = `coalesce(new.name_lower, '') || ' ' || coalesce(new.email_lower, '') || ' ' || coalesce(new.code, '')`;
/** Bookings at or below this rowid are in the search index; the rest wait for the bulk build. */
const INDEXED_UP_TO = `(SELECT indexed_up_to FROM search_index WHERE id = 1)`;
const SYNCED = ['events', 'bookings', 'checkins', 'alerts', 'ticket_keys', 'users'];

/**
 * An initial sync stores 100,000 bookings the cheap way and builds the search index after them, in
 * bulk (electron/core/bookings/search-index.ts):
 * - `doc_is_server`: 1 when the server's version is the visible `doc` itself, stored once
 *   (`server_doc` NULL). That is every row without a pending local mutation — nearly all of them;
 *   migration 001 stored those docs twice.
 * - `bookings_event` goes: nothing reads by `(event_id, created_at)`; an event's rows are found by
 *   `bookings_code` or `bookings_list`, so it only cost writes. A verdict needs the primary key and
 *   the code; the list its own index.
 * - `search_index.indexed_up_to`: the FTS5 index holds exactly the live bookings whose rowid is at or
 *   below it. The triggers of migration 002 now keep only that part in step; the bulk build indexes
 *   the rows above it in rowid order, chunk by chunk, raising it in the same transaction, and sets it
 *   to the largest rowid when it reaches the end. So a booking changed while the index is being
 *   built is either already indexed (its trigger re-indexes it) or still above the mark (the build
 *   reads its current words later) — never lost. Existing databases are fully indexed: the largest.
 */
export const migration004: Migration = {
  version: 4,
  name: 'initial sync phases',
  sql: `
    ${SYNCED.map((table) => `ALTER TABLE ${table} ADD COLUMN doc_is_server INTEGER NOT NULL DEFAULT 0;`).join('\n    ')}
    DROP INDEX bookings_event;

    CREATE TABLE search_index (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_up_to INTEGER NOT NULL);
    INSERT INTO search_index (id, indexed_up_to) VALUES (1, 9223372036854775807);

    DROP TRIGGER bookings_words_insert;
    DROP TRIGGER bookings_words_update;
    DROP TRIGGER bookings_words_delete;
    CREATE TRIGGER bookings_words_insert AFTER INSERT ON bookings
    WHEN new.doc IS NOT NULL AND new.rowid <= ${INDEXED_UP_TO} BEGIN
      INSERT INTO bookings_words (rowid, words) VALUES (new.rowid, ${WORDS});
    END;
    CREATE TRIGGER bookings_words_update AFTER UPDATE ON bookings
    WHEN (old.name_lower IS NOT new.name_lower OR old.email_lower IS NOT new.email_lower
      OR old.code IS NOT new.code OR (old.doc IS NULL) <> (new.doc IS NULL)) AND old.rowid <= ${INDEXED_UP_TO} BEGIN
      DELETE FROM bookings_words WHERE rowid = old.rowid;
      INSERT INTO bookings_words (rowid, words) SELECT new.rowid, ${WORDS} WHERE new.doc IS NOT NULL;
    END;
    CREATE TRIGGER bookings_words_delete AFTER DELETE ON bookings WHEN old.rowid <= ${INDEXED_UP_TO} BEGIN
      DELETE FROM bookings_words WHERE rowid = old.rowid;
    END;
  `,
};
