import type { Alert, Checkin, Refusal } from '@gatehouse/protocol';
import type { AccountStore } from '../store';

/** A refused scan as the door's audit lists it: with the guest's name when its booking is here. */
export type ListedRefusal = Refusal & { attendeeName: string };

/** A scan row as "Last scans" shows it: with the guest's name and what it did. */
export type RecentScan = Checkin & { attendeeName: string; verdict: 'admit' | 'exit' | 'undone' };

/** An alert as the Sync screen lists it: with the guest's name and the event's title when held. */
export type ListedAlert = Alert & { attendeeName: string; eventTitle: string };

/** At most this many alerts are listed (newest first). */
const ALERTS_LISTED = 500;

/**
 * What the door screens read of an event's scans on this device: the last scans, the refused ones,
 * the alerts. Statements are prepared once per open account; each answer is newest first.
 */
export class CheckinQueries {
  private readonly recentOfEvent;
  private readonly refusalsOfEvent;
  private readonly alertsOfEvent;
  private readonly alertsOfAll;

  constructor(store: AccountStore) {
    const { db } = store;
    this.recentOfEvent = db.prepare(
      `SELECT c.doc, coalesce(json_extract(b.doc, '$.attendee.name'), '') AS name FROM checkins c
       LEFT JOIN bookings b ON b.id = c.booking_id
       WHERE c.event_id = @eventId AND c.doc IS NOT NULL AND (@gate IS NULL OR c.gate = @gate)
       ORDER BY c.hlc DESC, c.id DESC LIMIT @limit`,
    );
    this.refusalsOfEvent = db.prepare(
      `SELECT r.doc, coalesce(json_extract(b.doc, '$.attendee.name'), '') AS name FROM refusals r
       LEFT JOIN bookings b ON b.id = json_extract(r.doc, '$.bookingId')
       WHERE r.event_id = ? AND r.doc IS NOT NULL ORDER BY r.hlc DESC, r.id DESC LIMIT ?`,
    );
    const alertsWithNames = `SELECT a.doc, coalesce(json_extract(b.doc, '$.attendee.name'), '') AS name,
         coalesce(json_extract(e.doc, '$.title'), '') AS title FROM alerts a
       LEFT JOIN bookings b ON b.id = json_extract(a.doc, '$.bookingId')
       LEFT JOIN events e ON e.id = a.event_id
       WHERE a.doc IS NOT NULL AND (@unacknowledgedOnly = 0 OR json_extract(a.doc, '$.acknowledgement') IS NULL)`;
    this.alertsOfEvent = db.prepare(
      `${alertsWithNames} AND a.event_id = @eventId ORDER BY a.created_at DESC LIMIT ${ALERTS_LISTED}`,
    );
    this.alertsOfAll = db.prepare(`${alertsWithNames} ORDER BY a.created_at DESC LIMIT ${ALERTS_LISTED}`);
  }

  /** An event's last scans (at one gate, or all), by HLC. */
  recent(params: { eventId: string; gate?: string | undefined; limit: number }): RecentScan[] {
    const rows = this.recentOfEvent.all({
      eventId: params.eventId,
      gate: params.gate ?? null,
      limit: params.limit,
    }) as { doc: string; name: string }[];
    return rows.map((row) => {
      const checkin = JSON.parse(row.doc) as Checkin;
      const verdict = checkin.direction === 'in' ? 'admit' : checkin.direction === 'out' ? 'exit' : 'undone';
      return { ...checkin, attendeeName: row.name, verdict };
    });
  }

  /** An event's refused scans (every door's, as synced), by HLC, at most `limit`. */
  refusals(params: { eventId: string; limit: number }): ListedRefusal[] {
    const rows = this.refusalsOfEvent.all(params.eventId, params.limit) as { doc: string; name: string }[];
    return rows.map((row) => ({ ...(JSON.parse(row.doc) as Refusal), attendeeName: row.name }));
  }

  /**
   * Alerts of one event, or of every event on this device, named by guest and event; with
   * `unacknowledgedOnly`, those nobody has acknowledged yet (as this device knows).
   */
  alerts(eventId?: string, options: { unacknowledgedOnly?: boolean | undefined } = {}): ListedAlert[] {
    const unacknowledgedOnly = options.unacknowledgedOnly ? 1 : 0;
    const rows = (
      eventId ? this.alertsOfEvent.all({ eventId, unacknowledgedOnly }) : this.alertsOfAll.all({ unacknowledgedOnly })
    ) as {
      doc: string;
      name: string;
      title: string;
    }[];
    return rows.map((row) => ({ ...(JSON.parse(row.doc) as Alert), attendeeName: row.name, eventTitle: row.title }));
  }
}
