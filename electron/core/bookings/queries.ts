import { foldForSearch, type Booking, type BookingRow, type Event } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import type { AccountStore } from '../store';

type Row = { doc: string; checked_in: number };
type Statement = Database.Statement<unknown[], unknown>;

/**
 * What the steward typed as an FTS5 query: every word must start a word of the booking (name, email
 * or code), in any order, folded like the indexed words (foldForSearch: "Søren" finds "soren").
 * Each word is quoted, so FTS5 syntax in it is text; null when nothing searchable is left (only
 * punctuation).
 */
export function wordsQuery(q: string): string | null {
  const words = foldForSearch(q)
    .split(/\s+/)
    .filter((word) => /[\p{L}\p{N}]/u.test(word))
    .slice(0, 8);
  return words.length ? words.map((word) => `"${word.replace(/"/g, '""')}"*`).join(' ') : null;
}

const CHECKED_IN = `EXISTS (SELECT 1 FROM checkins c WHERE c.booking_id = b.id AND c.direction = 'in' AND c.doc IS NOT NULL)`;
/** Live bookings of an event in list order, from the index alone (migration 003). */
const LISTED = `bookings b INDEXED BY bookings_list WHERE b.event_id = ? AND b.doc IS NOT NULL`;
/**
 * Bookings whose words match, driven from the FTS5 hits: CROSS JOIN fixes that order, so a search
 * costs its matches, never a walk over the event's bookings (what SQLite picks without statistics).
 */
const MATCHING = `(SELECT rowid AS hit FROM bookings_words WHERE bookings_words MATCH ?) AS hits
  CROSS JOIN bookings b ON b.rowid = hits.hit WHERE b.event_id = ? AND b.doc IS NOT NULL`;

/** The statements behind the attendee table and search; exported so tests can check their plans. */
export const BOOKING_SQL = {
  page: `SELECT b.doc, ${CHECKED_IN} AS checked_in FROM ${LISTED} ORDER BY b.name_lower, b.id LIMIT ? OFFSET ?`,
  count: `SELECT count(*) AS n FROM ${LISTED}`,
  pageMatching: `SELECT b.doc, ${CHECKED_IN} AS checked_in FROM ${MATCHING} ORDER BY b.name_lower, b.id LIMIT ? OFFSET ?`,
  countMatching: `SELECT count(*) AS n FROM ${MATCHING}`,
  // The booking whose code is exactly what was typed first, then by name.
  search: `SELECT b.doc, ${CHECKED_IN} AS checked_in, (b.code = ?) AS exact FROM ${MATCHING}
    ORDER BY exact DESC, b.name_lower, b.id LIMIT ?`,
};

/**
 * The list while an initial sync has not built the list index yet (phases `syncing` and
 * `readyToScan`: it is built with the search index's first chunk, db/booking-indexes.ts): the same
 * statements walk the event's rows (by the code index once ready to scan) and sort them.
 */
const UNTIL_INDEXED_SQL = {
  page: BOOKING_SQL.page.replace(' INDEXED BY bookings_list', ''),
  count: BOOKING_SQL.count.replace(' INDEXED BY bookings_list', ''),
};

/**
 * Attendee lists and search, from local data only; every filter runs on an index (once the
 * account's phase is past `readyToScan`). Statements are prepared on first use: one naming the list
 * index cannot be prepared while that index does not exist.
 */
export class BookingQueries {
  private readonly byId;
  private readonly prepared = new Map<string, Statement>();

  constructor(private readonly store: AccountStore) {
    this.byId = store.db.prepare(
      `SELECT b.doc, ${CHECKED_IN} AS checked_in FROM bookings b WHERE b.id = ? AND b.doc IS NOT NULL`,
    );
  }

  private statement(sql: string): Statement {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = this.store.db.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }

  private listSql(): { page: string; count: string } {
    const phase = this.store.phase();
    return phase === 'syncing' || phase === 'readyToScan' ? UNTIL_INDEXED_SQL : BOOKING_SQL;
  }

  private toRows(rows: Row[], eventId: string): BookingRow[] {
    const event = this.store.rows.getDoc<Event>('events', eventId);
    const typeNames = new Map(event?.ticketTypes.map((type) => [type.id, type.name]) ?? []);
    return rows.map((row) => {
      const booking = JSON.parse(row.doc) as Booking;
      return {
        ...booking,
        ticketTypeName: typeNames.get(booking.ticketTypeId) ?? '',
        checkedIn: row.checked_in === 1,
      };
    });
  }

  get(bookingId: string): BookingRow | null {
    const row = this.byId.get(bookingId) as Row | undefined;
    if (!row) return null;
    const booking = JSON.parse(row.doc) as Booking;
    return this.toRows([row], booking.eventId)[0] ?? null;
  }

  list(params: { eventId: string; q?: string | undefined; offset: number; limit: number }): {
    rows: BookingRow[];
    total: number;
  } {
    const q = params.q?.trim();
    if (q) {
      // Null: nothing searchable was typed, so nothing matches (FTS5 refuses an empty query).
      const words = wordsQuery(q);
      if (!words) return { rows: [], total: 0 };
      return {
        rows: this.toRows(
          this.statement(BOOKING_SQL.pageMatching).all(words, params.eventId, params.limit, params.offset) as Row[],
          params.eventId,
        ),
        total: (this.statement(BOOKING_SQL.countMatching).get(words, params.eventId) as { n: number }).n,
      };
    }
    const sql = this.listSql();
    return {
      rows: this.toRows(
        this.statement(sql.page).all(params.eventId, params.limit, params.offset) as Row[],
        params.eventId,
      ),
      total: (this.statement(sql.count).get(params.eventId) as { n: number }).n,
    };
  }

  find(params: { eventId: string; q: string; limit: number }): BookingRow[] {
    const q = params.q.trim().toLowerCase();
    const words = wordsQuery(q);
    if (!words) return [];
    return this.toRows(
      this.statement(BOOKING_SQL.search).all(q, words, params.eventId, params.limit) as Row[],
      params.eventId,
    );
  }
}
