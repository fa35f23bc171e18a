import type { Attendee } from '@gatehouse/protocol';
import type { BookingRow, BookingSource } from '../rows';
import { searchTermsOf } from '../search-words';
import { bit } from './sql';

/** Leads each term in `search_terms`, so `instr(search_terms, TERM_MARK || word)` is a prefix match. */
export const TERM_MARK = '\u0001';
/** The columns of a BookingRow (every read takes these, never the search terms). */
export const COLUMNS =
  'b.id, b.event_id, b.user_id, b.ticket_type_id, b.quantity, b.attendee_name, b.attendee_email, b.status, ' +
  'b.source, b.over_capacity, b.code, b.created_at, b.cancelled_at, b.erased_at, b.rev, b.photo_id, b.external_id, b.ordered_at';

export type BookingRecord = {
  id: string;
  event_id: string;
  user_id: string;
  ticket_type_id: string;
  quantity: number;
  attendee_name: string;
  attendee_email: string | null;
  status: BookingRow['status'];
  source: BookingSource;
  over_capacity: number;
  code: string;
  created_at: string;
  cancelled_at: string | null;
  erased_at: string | null;
  rev: number;
  photo_id: string | null;
  external_id: string | null;
  ordered_at: string | null;
};

export function attendeeOf(name: string, email: string | null | undefined): Attendee {
  return email === null || email === undefined ? { name } : { name, email };
}

/** A booking's search terms as stored (a control character in a name must not fake a term boundary). */
export function bookingTermsOf(attendee: Attendee, code: string): string[] {
  return searchTermsOf(attendee, code).map((term) => term.replaceAll(TERM_MARK, ''));
}

/** The `search_terms` column of a booking's terms: each led by TERM_MARK. */
export function searchTermsColumn(terms: readonly string[]): string {
  return TERM_MARK + terms.join(TERM_MARK);
}

export function toBookingRow(record: BookingRecord): BookingRow {
  return {
    id: record.id,
    rev: record.rev,
    eventId: record.event_id,
    userId: record.user_id,
    ticketTypeId: record.ticket_type_id,
    quantity: record.quantity,
    attendee: attendeeOf(record.attendee_name, record.attendee_email),
    status: record.status,
    source: record.source,
    overCapacity: record.over_capacity === 1,
    code: record.code,
    createdAt: record.created_at,
    cancelledAt: record.cancelled_at,
    ...(record.photo_id ? { photoId: record.photo_id } : {}),
    ...(record.external_id === null || record.external_id === undefined ? {} : { externalId: record.external_id }),
    ...(record.ordered_at ? { orderedAt: record.ordered_at } : {}),
    erasedAt: record.erased_at ?? null,
  };
}

export function toBookingParams(row: BookingRow, searchTerms: string): BookingRecord & { search_terms: string } {
  return {
    search_terms: searchTerms,
    id: row.id,
    event_id: row.eventId,
    user_id: row.userId,
    ticket_type_id: row.ticketTypeId,
    quantity: row.quantity,
    attendee_name: row.attendee.name,
    attendee_email: row.attendee.email ?? null,
    status: row.status,
    source: row.source,
    over_capacity: bit(row.overCapacity),
    code: row.code,
    created_at: row.createdAt,
    cancelled_at: row.cancelledAt,
    erased_at: row.erasedAt,
    rev: row.rev,
    photo_id: row.photoId ?? null,
    external_id: row.externalId ?? null,
    ordered_at: row.orderedAt ?? null,
  };
}
