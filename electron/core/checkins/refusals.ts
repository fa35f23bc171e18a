import type { Refusal } from '@gatehouse/protocol';
import type { AccountStore } from '../store';

/** A refused scan as the door's audit lists it: with the guest's name when its booking is here. */
export type ListedRefusal = Refusal & { attendeeName: string };

/**
 * The refused scans of an event on this device (every door's, as synced), newest first by HLC, at
 * most `limit`: for the organizer's look at what each door refused, and why.
 */
export function listRefusals(store: AccountStore, params: { eventId: string; limit: number }): ListedRefusal[] {
  const rows = store.db
    .prepare(
      `SELECT r.doc, coalesce(json_extract(b.doc, '$.attendee.name'), '') AS name FROM refusals r
       LEFT JOIN bookings b ON b.id = json_extract(r.doc, '$.bookingId')
       WHERE r.event_id = ? AND r.doc IS NOT NULL ORDER BY r.hlc DESC, r.id DESC LIMIT ?`,
    )
    .all(params.eventId, params.limit) as { doc: string; name: string }[];
  return rows.map((row) => ({ ...(JSON.parse(row.doc) as Refusal), attendeeName: row.name }));
}
