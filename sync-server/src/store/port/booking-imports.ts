import type { Attendee, ErrorCode } from '@gatehouse/protocol';

/** One attendee of a CSV import, its ticket type resolved (imports/service.ts). Always one seat. */
export type ImportRowInput = {
  /** The line of the file the row starts on, echoed in its outcome. */
  line: number;
  /** The id a booking made for it takes. */
  id: string;
  externalId: string | null;
  attendee: Attendee;
  ticketTypeId: string;
  /** The order date read from the file (UTC ISO), or null when the row has none. */
  orderedAt: string | null;
};

/** What became of one import row; `refused` carries a stable code (SOLD_OUT, IMPORT_BOOKING_CANCELLED). */
export type ImportRowOutcome =
  | { line: number; kind: 'created' | 'updated' | 'unchanged'; bookingId: string }
  | { line: number; kind: 'refused'; code: ErrorCode; message: string };

/** A chunk of an import: its rows, and what every new booking of it shares. */
export type ImportChunk = {
  eventId: string;
  /** Who imports (the new bookings' `userId`). */
  userId: string;
  createdAt: string;
  rows: ImportRowInput[];
  /** The booking code to try at attempt 0, 1, … for a new booking. */
  codes: (attempt: number) => string;
};
