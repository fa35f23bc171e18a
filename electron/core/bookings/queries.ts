import type { Booking, BookingRow, Event } from '@gatehouse/protocol';
import type { AccountStore } from '../store';

type Row = { doc: string; checked_in: number };

/** Bounds of a prefix range on an indexed lower-case column: `col >= q AND col < q + U+FFFF`. */
function prefixRange(q: string): [string, string] {
  const lower = q.trim().toLowerCase();
  return [lower, `${lower}\uffff`];
}

const CHECKED_IN = `EXISTS (SELECT 1 FROM checkins c WHERE c.booking_id = b.id AND c.direction = 'in' AND c.doc IS NOT NULL)`;
const MATCH = `(b.code = ? OR (b.name_lower >= ? AND b.name_lower < ?) OR (b.email_lower >= ? AND b.email_lower < ?))`;

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
    // Exact code first, then name and email prefixes: what a steward types at the door.
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

  private matchArgs(q: string): string[] {
    const [from, to] = prefixRange(q);
    return [q.trim().toLowerCase(), from, to, from, to];
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
    return this.toRows(this.search.all(q, params.eventId, ...this.matchArgs(q), params.limit) as Row[], params.eventId);
  }
}
