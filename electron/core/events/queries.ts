import type { Event } from '@gatehouse/protocol';
import type { AccountStore } from '../store';

export type EventCounters = {
  eventId: string;
  expected: number;
  admitted: number;
  inside: number;
  admittedAtGate: number;
  cancelled: number;
  admittedThenCancelled: number;
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
    // The SQL form of protocol's countAdmissions, kept equal to it by a test on the door table:
    // admitted = a live booking with an entry; inside = its last scan by (hlc, id) is an entry.
    const live = `NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = c.booking_id AND b.status = 'cancelled')`;
    // An undone admission is as if never made (checkin.void): a void row of the booking names it.
    const kept = `NOT EXISTS (SELECT 1 FROM checkins v WHERE v.booking_id = c.booking_id AND v.direction = 'void'
      AND v.doc IS NOT NULL AND json_extract(v.doc, '$.voids') = c.id)`;
    this.counts = db.prepare(
      `SELECT
         coalesce(sum(CASE WHEN status = 'confirmed' THEN json_extract(doc, '$.quantity') END), 0) AS expected,
         coalesce(sum(CASE WHEN status = 'cancelled' THEN 1 END), 0) AS cancelled,
         (SELECT count(DISTINCT c.booking_id) FROM checkins c
            WHERE c.event_id = @eventId AND c.direction = 'in' AND c.doc IS NOT NULL AND ${live} AND ${kept})
           AS admitted,
         (SELECT count(DISTINCT c.booking_id) FROM checkins c
            WHERE c.event_id = @eventId AND c.direction = 'in' AND c.doc IS NOT NULL AND NOT ${live} AND ${kept})
           AS admittedThenCancelled
       FROM bookings WHERE event_id = @eventId AND doc IS NOT NULL`,
    );
    this.inside = db.prepare(
      `SELECT count(*) AS n FROM (
         SELECT c.direction, row_number() OVER (PARTITION BY c.booking_id ORDER BY c.hlc DESC, c.id DESC) AS latest
         FROM checkins c WHERE c.event_id = ? AND c.direction IN ('in', 'out') AND c.doc IS NOT NULL
           AND ${live} AND ${kept})
       WHERE latest = 1 AND direction = 'in'`,
    );
    this.atGate = db.prepare(
      `SELECT count(DISTINCT c.booking_id) AS n FROM checkins c
       WHERE c.event_id = ? AND c.gate = ? AND c.direction = 'in' AND c.doc IS NOT NULL AND ${live} AND ${kept}`,
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
    const counts = this.counts.get({ eventId }) as {
      expected: number;
      cancelled: number;
      admitted: number;
      admittedThenCancelled: number;
    };
    return {
      eventId,
      expected: counts.expected,
      admitted: counts.admitted,
      cancelled: counts.cancelled,
      admittedThenCancelled: counts.admittedThenCancelled,
      inside: (this.inside.get(eventId) as { n: number }).n,
      admittedAtGate: gate ? (this.atGate.get(eventId, gate) as { n: number }).n : 0,
    };
  }
}
