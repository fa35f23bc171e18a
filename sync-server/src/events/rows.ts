import { eventBucket, type Event, type EventStatus } from '@gatehouse/protocol';
import type { ChangeOf, LoggedRow } from '../sync/changelog';

export type TicketTypeRow = { id: string; name: string; price: number; quota: number };

/**
 * An event as stored. Besides the protocol fields it keeps the counters that make booking atomic
 * on one document without `$expr` (FerretDB lacks it): `seatsLeft` and `typeLeft.<ticketTypeId>`
 * are decremented with a `$gte: quantity` filter, `bookedCount` / `typeSold.<id>` incremented in
 * the same update. Ticket type ids are [A-Za-z0-9_-], so they are safe as field names.
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
  seatsLeft: number;
  typeSold: Record<string, number>;
  typeLeft: Record<string, number>;
  /** Per-field hybrid logical clock of the last applied edit (last writer wins per field). */
  fieldHlc: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  /** Mail hand-off: the mail outbox picks these up (see mail/). */
  mailPending: string[];
};

/** Explicit mapping: internal counters, clocks and mail marks never leave the server. */
export function toEvent(row: EventRow): Event {
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
      sold: row.typeSold[type.id] ?? 0,
    })),
    organizerId: row.organizerId,
    staffIds: row.staffIds,
    bookedCount: row.bookedCount,
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
