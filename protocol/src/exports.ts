import { z } from 'zod';
import type { RefusalReason } from './sync';

/**
 * CSV exports of an event (sync-server/src/exports/): its attendees with their booking and door
 * state, and its check-in log. UTF-8 with a byte-order mark (so spreadsheet programs read the
 * accents right), one header row, comma-separated, RFC 4180 quoting; times in the event's own
 * zone, ISO 8601 with the offset (`2026-12-12T19:05:00+01:00`). A cell that a spreadsheet would
 * run as a formula (it begins with `= + - @`, a tab or a carriage return) starts with an
 * apostrophe instead (OWASP, "CSV Injection").
 */
export const EXPORT_KINDS = ['attendees', 'checkins'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** The media type of every export. */
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** An export's body as the route table documents it: CSV text (streamed; never JSON). */
export const csvFileSchema = z.string().describe('CSV text, UTF-8 with a byte-order mark');

/** The attendees export's columns, in order (the header row). */
export const ATTENDEE_EXPORT_COLUMNS = [
  'code',
  'name',
  'email',
  'ticketType',
  'quantity',
  'status',
  'source',
  'overCapacity',
  'createdAt',
  'orderedAt',
  'checkedIn',
  'firstEntryAt',
  'lastScanAt',
  'erasedAt',
] as const;

/** The check-in log's columns, in order (the header row). */
export const CHECKIN_EXPORT_COLUMNS = [
  'scannedAt',
  'kind',
  'gate',
  'direction',
  'bookingCode',
  'attendeeName',
  'reasonCode',
  'reason',
  'voidsCheckinId',
  'deviceId',
  'staffName',
  'checkinId',
  'hlc',
] as const;

/**
 * Where an attendee is by the door's rules (protocol/src/checkins entryStateOf): `inside` now,
 * `left` (admitted, then an exit), `never` admitted.
 */
export type CheckedInState = 'inside' | 'left' | 'never';

/** What a refusal means, in a steward's words (REFUSAL_REASONS): the screens and the exports say the same. */
export const REFUSAL_WORDS: Record<RefusalReason, string> = {
  alreadyInside: 'Already inside',
  reentryNotAllowed: 'No re-entry',
  bookingCancelled: 'Booking cancelled',
  eventCancelled: 'Event cancelled',
  wrongEvent: 'Ticket for another event',
  format: 'Not a Gatehouse ticket',
  unknownKey: 'Unknown signing key',
  signature: 'Forged or damaged ticket',
  notYetValid: 'Too early',
  expired: 'Event over',
  unknownBooking: 'Unknown booking',
};
