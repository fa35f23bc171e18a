import type { Event } from '@gatehouse/protocol';
import type { AccountStore } from '../store';

export type EventCounters = {
  eventId: string;
  expected: number;
  admitted: number;
  inside: number;
  admittedAtGate: number;
  cancelled: number;
};

export class EventQueries {
  private readonly all;
  private readonly matching;
  private readonly counts;
  private readonly inside;
  private readonly atGate;

  constructor(private readonly store: AccountStore) {
    const db = store.db;
    this.all = db.prepare('SELECT doc FROM events WHERE doc IS NOT NULL ORDER BY starts_at, id');
    this.matching = db.prepare(
      `SELECT doc FROM events WHERE doc IS NOT NULL AND title_lower LIKE ? ESCAPE '\\' ORDER BY starts_at, id`,
    );
    this.counts = db.prepare(
      `SELECT
         coalesce(sum(CASE WHEN status = 'confirmed' THEN json_extract(doc, '$.quantity') END), 0) AS expected,
         coalesce(sum(CASE WHEN status = 'cancelled' THEN 1 END), 0) AS cancelled,
         (SELECT count(DISTINCT booking_id) FROM checkins
            WHERE event_id = @eventId AND direction = 'in' AND doc IS NOT NULL) AS admitted
       FROM bookings WHERE event_id = @eventId AND doc IS NOT NULL`,
    );
    this.inside = db.prepare(
      `SELECT count(*) AS n FROM (
         SELECT direction, row_number() OVER (PARTITION BY booking_id ORDER BY scanned_at DESC, hlc DESC) AS latest
         FROM checkins WHERE event_id = ? AND doc IS NOT NULL)
       WHERE latest = 1 AND direction = 'in'`,
    );
    this.atGate = db.prepare(
      `SELECT count(DISTINCT booking_id) AS n FROM checkins
       WHERE event_id = ? AND gate = ? AND direction = 'in' AND doc IS NOT NULL`,
    );
  }

  list(q?: string): Event[] {
    const text = q?.trim().toLowerCase();
    const rows = (text ? this.matching.all(`%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) : this.all.all()) as {
      doc: string;
    }[];
    return rows.map((row) => JSON.parse(row.doc) as Event);
  }

  get(eventId: string): Event | null {
    return this.store.rows.getDoc<Event>('events', eventId);
  }

  counters(eventId: string, gate?: string): EventCounters {
    const counts = this.counts.get({ eventId }) as { expected: number; cancelled: number; admitted: number };
    return {
      eventId,
      expected: counts.expected,
      admitted: counts.admitted,
      cancelled: counts.cancelled,
      inside: (this.inside.get(eventId) as { n: number }).n,
      admittedAtGate: gate ? (this.atGate.get(eventId, gate) as { n: number }).n : 0,
    };
  }
}
