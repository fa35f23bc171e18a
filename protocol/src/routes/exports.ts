import { csvFileSchema } from '../exports';
import { defineRoute } from '../routing';
import { idParamsSchema } from '../users';

const manager = { permission: 'events.create' } as const;

/**
 * An event's CSV exports (protocol/src/exports.ts), for its organizer and admins: streamed as they
 * are read, `text/csv; charset=utf-8` with a byte-order mark and a Content-Disposition naming the
 * file after the event. Not JSON: a client reads the body as text or saves it as it comes.
 */
export const exportsRoutes = {
  'exports.attendees': defineRoute({
    method: 'GET',
    path: '/events/:id/exports/attendees.csv',
    tags: ['exports'],
    description:
      "The event's attendees (every booking, in the order they were made) with ticket type, status, source and " +
      'door state (inside / left / never, first entry, last scan), times in the event zone with their offset. ' +
      "The event's organizer or an admin (FORBIDDEN for others who can see the event, NOT_FOUND for the rest).",
    access: manager,
    params: idParamsSchema,
    responses: { 200: csvFileSchema },
  }),
  'exports.checkins': defineRoute({
    method: 'GET',
    path: '/events/:id/exports/checkins.csv',
    tags: ['exports'],
    description:
      "The event's check-in log: every scan in door order (HLC, then id) — entries, exits, undos (naming the " +
      'admission they void) and refused scans with their reason code and words — with gate, device, who scanned, ' +
      'booking code and attendee name. The organizer or an admin, as the attendees export.',
    access: manager,
    params: idParamsSchema,
    responses: { 200: csvFileSchema },
  }),
} as const;
