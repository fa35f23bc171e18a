import {
  bookRequestSchema,
  bookingListQuerySchema,
  bookingSchema,
  ticketResponseSchema,
  walkInRequestSchema,
} from '../bookings';
import { listQuerySchema, pageSchema } from '../common';
import { importProgressParamsSchema, importProgressSchema, importQuerySchema, importSummarySchema } from '../imports';
import { defineRoute } from '../routing';
import { idParamsSchema } from '../users';

/** Bookings and tickets over HTTP (online booking, the organizer's lists, walk-ins from a browser). */
export const bookingRoutes = {
  'bookings.book': defineRoute({
    method: 'POST',
    path: '/events/:id/book',
    tags: ['bookings'],
    description:
      'Books seats on a published event. With an Idempotency-Key header a retried request answers the ' +
      'first booking again instead of booking twice.',
    access: { permission: 'events.book' },
    params: idParamsSchema,
    body: bookRequestSchema,
    responses: { 201: bookingSchema },
    idempotent: true,
  }),
  'bookings.listForEvent': defineRoute({
    method: 'GET',
    path: '/events/:id/bookings',
    tags: ['bookings'],
    description:
      "The event's bookings, for its organizer, assigned staff and admins, in the order they were made (oldest " +
      'first; search results too), so a walk with `cursor` lists each once. `q` matches name, email or code prefixes.',
    access: 'signedIn',
    params: idParamsSchema,
    query: bookingListQuerySchema,
    responses: { 200: pageSchema(bookingSchema) },
  }),
  'bookings.walkIn': defineRoute({
    method: 'POST',
    path: '/events/:id/bookings',
    tags: ['bookings'],
    description:
      'Adds a walk-in; accepted even beyond capacity, then flagged overCapacity. The organizer and admins ' +
      "may always; the event's assigned staff only when it has staffWalkIns (FORBIDDEN otherwise). With an Idempotency-Key " +
      'header a retried request answers the first walk-in again instead of adding a second.',
    access: 'signedIn',
    params: idParamsSchema,
    body: walkInRequestSchema,
    responses: { 201: bookingSchema },
    idempotent: true,
  }),
  'bookings.import': defineRoute({
    method: 'POST',
    path: '/events/:id/imports',
    tags: ['bookings'],
    description:
      'Imports attendees from a CSV file (the body, `Content-Type: text/csv`, streamed; at most 32 MiB, 200 ' +
      'columns, 200,000 rows) as bookings of the event, for its organizer and admins. `preset` (eventbrite, ' +
      'pretix, plain; guessed from the header when absent) or `mapping` (JSON) says which columns hold what; ' +
      '`encoding` auto-detects UTF-8 (with or without BOM) or Windows-1252; `;` or `,` is detected. The whole ' +
      'file is read and checked before anything is written: a file that cannot be read (IMPORT_TOO_LARGE, ' +
      'IMPORT_EMPTY, IMPORT_MALFORMED with its line, IMPORT_TOO_MANY_COLUMNS, IMPORT_ENCODING_INVALID, ' +
      'IMPORT_MAPPING_INVALID) writes nothing. Rows then go in chunks, each atomic: a row matching a booking by ' +
      'its external id, or by email and name, updates it instead of adding another; capacity and quota are ' +
      'judged as for online bookings, and rows beyond them are refused (SOLD_OUT) and listed with every other ' +
      'refused row (line, column, code). Re-running the same file completes an interrupted or partly refused ' +
      'import without duplicates. `dryRun=true` checks without writing. Imported bookings sync to devices ' +
      'like any other; no confirmation mail is sent.',
    access: 'signedIn',
    params: idParamsSchema,
    query: importQuerySchema,
    responses: { 200: importSummarySchema },
  }),
  'bookings.importProgress': defineRoute({
    method: 'GET',
    path: '/events/:id/imports/:importId',
    tags: ['bookings'],
    description:
      'How far a running CSV import is, named by the `importId` its POST carried: `checking` (rows read so far), ' +
      'then `writing` (rows written of the rows to write, recorded every 1,000 rows), then `done` or `failed`. ' +
      "Any server process answers (it is kept in the store). For the import's organizer and admins; NOT_FOUND " +
      'for an import id never used (or used over a day ago).',
    access: 'signedIn',
    params: importProgressParamsSchema,
    responses: { 200: importProgressSchema },
  }),
  'bookings.listMine': defineRoute({
    method: 'GET',
    path: '/bookings/me',
    tags: ['bookings'],
    description: "The caller's own online bookings, newest first by when they were made.",
    access: 'signedIn',
    query: listQuerySchema.omit({ q: true }),
    responses: { 200: pageSchema(bookingSchema) },
  }),
  'bookings.cancel': defineRoute({
    method: 'POST',
    path: '/bookings/:id/cancel',
    tags: ['bookings'],
    description: 'By the attendee, the organizer or an admin. Cancelling again returns the cancelled booking.',
    access: 'signedIn',
    params: idParamsSchema,
    responses: { 200: bookingSchema },
  }),
  'bookings.erase': defineRoute({
    method: 'POST',
    path: '/bookings/:id/erasure',
    tags: ['bookings'],
    description:
      "Erases the attendee's personal data on request (GDPR art. 17), by the event's organizer or an admin: the " +
      'name becomes "Erased attendee", the email goes, `erasedAt` is set; the booking keeps its id, code, ticket ' +
      'type, status and check-ins. The change log, alerts, mail records and search words of the booking lose the ' +
      'data too, and every device receives the erased version. Erasing again answers the erased booking. ' +
      'FORBIDDEN for staff and for others who can see the event, NOT_FOUND for the rest.',
    access: { permission: 'events.create' },
    params: idParamsSchema,
    responses: { 200: bookingSchema },
  }),
  'bookings.ticket': defineRoute({
    method: 'GET',
    path: '/bookings/:id/ticket',
    tags: ['tickets'],
    description:
      'The signed ticket token and its QR code; cancelled bookings, and bookings of a cancelled event, come back revoked.',
    access: 'signedIn',
    params: idParamsSchema,
    responses: { 200: ticketResponseSchema },
  }),
} as const;
