import type { Db } from './open';

/**
 * The bookings' secondary indexes (migrations 001 and 003), by name. An initial sync drops them and
 * builds them once its rows are all in: kept row by row, their random keys (codes, names) cost more
 * than the rows themselves, while a build from the finished table sorts once.
 */
const BOOKING_INDEXES = {
  bookings_code: 'CREATE INDEX IF NOT EXISTS bookings_code ON bookings (event_id, code)',
  bookings_list:
    'CREATE INDEX IF NOT EXISTS bookings_list ON bookings (event_id, name_lower, id) WHERE doc IS NOT NULL',
} as const;

export function dropBookingIndexes(db: Db): void {
  for (const name of Object.keys(BOOKING_INDEXES)) db.exec(`DROP INDEX IF EXISTS ${name}`);
}

export function createBookingIndexes(db: Db): void {
  for (const sql of Object.values(BOOKING_INDEXES)) db.exec(sql);
}
