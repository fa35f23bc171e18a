import type { Booking, BookingRow, Event } from '@gatehouse/protocol';
import type { AccountStore } from '../store';

type Row = { doc: string; checked_in: number };

/**
 * What the steward typed as an FTS5 query: every word must start a word of the booking (name, email
 * or code), in any order. Each word is quoted, so FTS5 syntax in it is text; null when nothing
 * searchable is left (only punctuation).
 */
export function wordsQuery(q: string): string | null {
  const words = q
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => /[\p{L}\p{N}]/u.test(word))
    .slice(0, 8);
  return words.length ? words.map((word) => `"${word.replace(/"/g, '""')}"*`).join(' ') : null;
}

const CHECKED_IN = `EXISTS (SELECT 1 FROM checkins c WHERE c.booking_id = b.id AND c.direction = 'in' AND c.doc IS NOT NULL)`;
const MATCH = `(b.code = ? OR b.rowid IN (SELECT rowid FROM bookings_words WHERE bookings_words MATCH ?))`;

/** Attendee lists and search, from local data only; every filter runs on an index. */
export class BookingQueries {
  private readonly byId;
  private readonly page;
  private readonly pageMatching;
  private readonly count;
  private readonly countMatching;
  private readonly search;

  constructor(private readonly store: AccountStore) {
    const db = store.db;
    this.byId = db.prepare(
      `SELECT b.doc, ${CHECKED_IN} AS checked_in FROM bookings b WHERE b.id = ? AND b.doc IS NOT NULL`,
    );
    this.page = db.prepare(
      `SELECT b.doc, ${CHECKED_IN} AS checked_in FROM bookings b
       WHERE b.event_id = ? AND b.doc IS NOT NULL ORDER BY b.name_lower, b.id LIMIT ? OFFSET ?`,
    );
    this.pageMatching = db.prepare(
      `SELECT b.doc, ${CHECKED_IN} AS checked_in FROM bookings b
       WHERE b.event_id = ? AND b.doc IS NOT NULL AND ${MATCH} ORDER BY b.name_lower, b.id LIMIT ? OFFSET ?`,
    );
    this.count = db.prepare('SELECT count(*) AS n FROM bookings b WHERE b.event_id = ? AND b.doc IS NOT NULL');
    this.countMatching = db.prepare(
      `SELECT count(*) AS n FROM bookings b WHERE b.event_id = ? AND b.doc IS NOT NULL AND ${MATCH}`,
    );
    // Exact code first, then bookings with every typed word starting one of theirs.
    this.search = db.prepare(
      `SELECT b.doc, ${CHECKED_IN} AS checked_in, (b.code = ?) AS exact FROM bookings b
       WHERE b.event_id = ? AND b.doc IS NOT NULL AND ${MATCH} ORDER BY exact DESC, b.name_lower LIMIT ?`,
    );
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

  /** Null: nothing to search for, so nothing matches (FTS5 refuses an empty query). */
  private matchArgs(q: string): [string, string] | null {
    const words = wordsQuery(q);
    return words ? [q.trim().toLowerCase(), words] : null;
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
      const match = this.matchArgs(q);
      if (!match) return { rows: [], total: 0 };
      return {
        rows: this.toRows(
          this.pageMatching.all(params.eventId, ...match, params.limit, params.offset) as Row[],
          params.eventId,
        ),
        total: (this.countMatching.get(params.eventId, ...match) as { n: number }).n,
      };
    }
    return {
      rows: this.toRows(this.page.all(params.eventId, params.limit, params.offset) as Row[], params.eventId),
      total: (this.count.get(params.eventId) as { n: number }).n,
    };
  }

  find(params: { eventId: string; q: string; limit: number }): BookingRow[] {
    const q = params.q.trim().toLowerCase();
    const match = this.matchArgs(q);
    if (!match) return [];
    return this.toRows(this.search.all(q, params.eventId, ...match, params.limit) as Row[], params.eventId);
  }
}
