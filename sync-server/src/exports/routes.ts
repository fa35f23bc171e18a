import type { Readable } from 'node:stream';
import {
  ATTENDEE_EXPORT_COLUMNS,
  CHECKIN_EXPORT_COLUMNS,
  CSV_CONTENT_TYPE,
  routes,
  type ExportKind,
} from '@gatehouse/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../context';
import type { EventRow } from '../store/rows';
import { attendeeRecords } from './attendees';
import { checkinRecords } from './checkins';
import { csvStream, exportFileName } from './csv';

/** Headers of a CSV download: its type, its file name (ASCII, and RFC 6266's UTF-8 form), no caching of personal data. */
function sendAsFile(reply: FastifyReply, event: EventRow, kind: ExportKind, body: Readable): Readable {
  const name = exportFileName(event, kind);
  void reply
    .type(CSV_CONTENT_TYPE)
    .header('content-disposition', `attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(name)}`)
    .header('cache-control', 'no-store');
  return body;
}

/**
 * The exports domain: an event's attendees and its check-in log as CSV, streamed from the store a
 * page at a time (exports/csv.ts). Only the event's organizer or an admin (EventService
 * assertCanManage: FORBIDDEN for others who can see the event, NOT_FOUND for the rest), checked
 * before the first byte, so a refusal is an ordinary error answer.
 */
export function registerExportRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { events, store, routes: server } = ctx;

  const failed = (kind: ExportKind, eventId: string) => (error: Error) =>
    app.log.error({ err: error, eventId, kind }, 'export failed mid-stream');

  server.serveStream(routes['exports.attendees'], async ({ user, params, reply }) => {
    const event = await events.assertCanManage(user, params.id);
    const body = csvStream(ATTENDEE_EXPORT_COLUMNS, attendeeRecords(store, event));
    body.on('error', failed('attendees', event.id));
    return sendAsFile(reply, event, 'attendees', body);
  });

  server.serveStream(routes['exports.checkins'], async ({ user, params, reply }) => {
    const event = await events.assertCanManage(user, params.id);
    const body = csvStream(CHECKIN_EXPORT_COLUMNS, checkinRecords(store, event));
    body.on('error', failed('checkins', event.id));
    return sendAsFile(reply, event, 'checkins', body);
  });
}
