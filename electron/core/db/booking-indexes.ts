import type { Db } from './open';

/**
 * The bookings' indexes, by name: the key (`bookings_id`, migration 017) and the code and list
 * indexes (migrations 001 and 003). An initial sync drops them all and appends its rows to a table
 * with no index; kept row by row, random keys (ids, codes, names) cost more than the rows
 * themselves, while a build from the finished table sorts once. The key comes first: the others are
 * built from the table it has made unique. A verdict needs only the key and the code index, built
 * when the last page is in (`createScanIndexes`); the organizer's list index waits for the search
 * index's build after ready-to-scan (`createListIndex`: 0.27 s of 100,000 bookings, profiled, off that moment).
 */
const BOOKING_INDEXES = {
  bookings_id: 'CREATE UNIQUE INDEX IF NOT EXISTS bookings_id ON bookings (id)',
  bookings_code: 'CREATE INDEX IF NOT EXISTS bookings_code ON bookings (event_id, code)',
  bookings_list:
    'CREATE INDEX IF NOT EXISTS bookings_list ON bookings (event_id, name_lower, id) WHERE doc IS NOT NULL',
} as const;

/**
 * Rows an initial sync appended for one booking more than once (the bucket's log held several
 * versions of it): all but the version an upsert would have kept — the highest rev, the first of
 * equal ones. A tombstone (no doc, so no event id in it) first takes the event id of its
 * booking's other versions, as an upsert keeps it (db/rows.ts).
 */
const KEEP_ONE_VERSION = `
  UPDATE bookings SET event_id = known.event_id
  FROM (
    SELECT id, max(event_id) AS event_id FROM bookings
    WHERE event_id <> '' AND id IN (SELECT id FROM bookings WHERE event_id = '' AND doc IS NULL)
    GROUP BY id) AS known
  WHERE bookings.event_id = '' AND bookings.doc IS NULL AND bookings.id = known.id;
  DELETE FROM bookings WHERE rowid IN (
    SELECT rowid FROM (
      SELECT rowid, row_number() OVER (PARTITION BY id ORDER BY rev DESC, rowid) AS version FROM bookings)
    WHERE version > 1);
`;

export function dropBookingIndexes(db: Db): void {
  for (const name of Object.keys(BOOKING_INDEXES)) db.exec(`DROP INDEX IF EXISTS ${name}`);
}

/**
 * Builds the indexes a verdict needs, which an initial sync dropped: the key and the code index.
 * Rows appended twice for one booking are reduced to the version an upsert would have kept, first —
 * only when the key cannot be built, so a bucket whose log holds each booking once pays no sort for
 * it. The list index is left to `createListIndex`.
 */
export function createScanIndexes(db: Db): void {
  try {
    db.exec(BOOKING_INDEXES.bookings_id);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
    db.exec(KEEP_ONE_VERSION);
    db.exec(BOOKING_INDEXES.bookings_id);
  }
  db.exec(BOOKING_INDEXES.bookings_code);
}

/**
 * Builds the organizer's list index (a no-op when it exists), after `createScanIndexes`: the first
 * chunk of the search index's build does it (bookings/search-index.ts), in its transaction, so the
 * phase leaves `readyToScan` with it. Until then the list walks the event's rows (bookings/queries.ts).
 */
export function createListIndex(db: Db): void {
  db.exec(BOOKING_INDEXES.bookings_list);
}
