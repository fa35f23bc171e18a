import {
  bookingCodeFromBytes,
  eventBucket,
  type Attendee,
  type Booking,
  type BookingStatus,
} from '@gatehouse/protocol';
import type { ChangeOf, LoggedRow } from '../sync/changelog';

export type BookingRow = LoggedRow & {
  eventId: string;
  userId: string;
  ticketTypeId: string;
  quantity: number;
  attendee: Attendee;
  status: BookingStatus;
  source: 'online' | 'walkIn';
  overCapacity: boolean;
  code: string;
  createdAt: string;
  cancelledAt: string | null;
  /**
   * Lower-case words of name and email plus the code: a multikey index answers prefix searches
   * (`^ada`) with a range scan, which an unanchored case-insensitive regex over 100k rows cannot.
   */
  searchTerms: string[];
  mailPending: string[];
};

export function toBooking(row: BookingRow): Booking {
  return {
    id: row._id,
    eventId: row.eventId,
    userId: row.userId,
    ticketTypeId: row.ticketTypeId,
    quantity: row.quantity,
    attendee: row.attendee.email ? { name: row.attendee.name, email: row.attendee.email } : { name: row.attendee.name },
    status: row.status,
    source: row.source,
    overCapacity: row.overCapacity,
    code: row.code,
    createdAt: row.createdAt,
    cancelledAt: row.cancelledAt,
  };
}

export const bookingChange: ChangeOf<BookingRow> = (row) => ({
  bucket: eventBucket(row.eventId),
  type: 'booking',
  id: row._id,
  doc: toBooking(row),
});

export function searchTermsOf(attendee: Attendee, code: string): string[] {
  const words = `${attendee.name} ${attendee.email ?? ''}`
    .toLowerCase()
    .split(/[\s@.,;:+()"'<>[\]-]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.slice(0, 64));
  if (attendee.email) words.push(attendee.email.toLowerCase());
  words.push(code.toLowerCase());
  return [...new Set(words)].slice(0, 40);
}

/** Search words from user text: each must prefix-match one of a booking's terms. */
export function searchWordsOf(q: string): string[] {
  return q
    .toLowerCase()
    .split(/[\s,;:+()"'<>[\]]+/)
    .filter((word) => word.length > 0)
    .slice(0, 5);
}

/** A freshly drawn code, for bookings whose id gives none (see protocol's bookingCodeFor). */
export function newBookingCode(random: Uint8Array): string {
  return bookingCodeFromBytes(random);
}
