import { eventBucket, type Event, type EventStatus } from '@gatehouse/protocol';
import type { ChangeOf, LoggedRow } from '../sync/changelog';
import type { SeatCounts } from './counts';

export type TicketTypeRow = { id: string; name: string; price: number; quota: number };

/**
 * An event as stored. Seats are held in the seat ledger (bookings/seats.ts), not by counters on
 * this document: FerretDB's updates are not atomic, and a hot event document would lose writes.
 * `bookedCount` / `typeSold` are a snapshot of the confirmed bookings, refreshed after booking
 * writes (EventService.scheduleRecount) and at every edit; devices and responses both read it.
 */
export type EventRow = LoggedRow & {
  title: string;
  description: string;
  venue: string;
  startsAt: string;
  endsAt: string;
  /** Instants as numbers, for range filters and sorting: ISO strings with offsets do not sort. */
  startsAtMs: number;
  endsAtMs: number;
  timezone: string;
  capacity: number;
  status: EventStatus;
  ticketTypes: TicketTypeRow[];
  organizerId: string;
  staffIds: string[];
  bookedCount: number;
  typeSold: Record<string, number>;
  /** Per-field hybrid logical clock of the last applied edit (last writer wins per field). */
  fieldHlc: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  /** Mail hand-off: the mail outbox picks these up (see mail/). */
  mailPending: string[];
};

/** Explicit mapping: clocks and mail marks never leave the server. Without `counts`, the snapshot. */
export function toEvent(row: EventRow, counts?: SeatCounts): Event {
  const sold = counts?.byType ?? row.typeSold;
  return {
    id: row._id,
    title: row.title,
    description: row.description,
    venue: row.venue,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    timezone: row.timezone,
    capacity: row.capacity,
    status: row.status,
    ticketTypes: row.ticketTypes.map((type) => ({
      id: type.id,
      name: type.name,
      price: type.price,
      quota: type.quota,
      sold: sold[type.id] ?? 0,
    })),
    organizerId: row.organizerId,
    staffIds: row.staffIds,
    bookedCount: counts?.booked ?? row.bookedCount,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export const eventChange: ChangeOf<EventRow> = (row) => ({
  bucket: eventBucket(row._id),
  type: 'event',
  id: row._id,
  doc: row.deletedAt ? null : toEvent(row),
});
