import { z } from 'zod';
import { okSchema, pageSchema } from '../common';
import {
  eventCreateSchema,
  eventListQuerySchema,
  eventPatchSchema,
  eventSchema,
  eventStaffQuerySchema,
  eventStaffSchema,
  eventStatsSchema,
  staffAssignmentSchema,
} from '../events';
import { defineRoute } from '../routing';
import { ticketPublicKeySchema } from '../tickets';
import { idParamsSchema } from '../users';

const manager = { permission: 'events.create' } as const;

/** An event's ticket public keys, oldest first (every key that still verifies tickets). */
const ticketKeysSchema = z.object({ items: z.array(ticketPublicKeySchema) });

/** Events over HTTP (the organizer's editing and dashboard, staff assignment) and their ticket keys. */
export const eventsRoutes = {
  'events.list': defineRoute({
    method: 'GET',
    path: '/events',
    tags: ['events'],
    description:
      'Published events for everyone signed in, plus the drafts you organize or staff (admins: all), in the ' +
      'order they were created (oldest first) — not by start, which an edit moves: paging on it could skip a ' +
      'rescheduled event. A walk with `cursor` lists every event that exists for the whole walk exactly once; ' +
      'sort by `startsAt` on your side.',
    access: 'signedIn',
    query: eventListQuerySchema,
    responses: { 200: pageSchema(eventSchema) },
  }),
  'events.create': defineRoute({
    method: 'POST',
    path: '/events',
    tags: ['events'],
    description:
      'Creates an event organized by the caller, with its first ticket signing key; drafts by default. With an ' +
      'Idempotency-Key header a retried request answers the first event again instead of creating a second.',
    access: manager,
    body: eventCreateSchema,
    responses: { 201: eventSchema },
    idempotent: true,
  }),
  'events.get': defineRoute({
    method: 'GET',
    path: '/events/:id',
    tags: ['events'],
    description: 'One event the caller may see; 404 for the others, so their existence does not leak.',
    access: 'signedIn',
    params: idParamsSchema,
    responses: { 200: eventSchema },
  }),
  'events.update': defineRoute({
    method: 'PATCH',
    path: '/events/:id',
    tags: ['events'],
    description: "Edits an event (its organizer or an admin), each field stamped by the server's clock.",
    access: manager,
    params: idParamsSchema,
    body: eventPatchSchema,
    responses: { 200: eventSchema },
  }),
  'events.delete': defineRoute({
    method: 'DELETE',
    path: '/events/:id',
    tags: ['events'],
    description: 'Deletes an event (its organizer or an admin).',
    access: manager,
    params: idParamsSchema,
    responses: { 200: okSchema },
  }),
  'events.staff.list': defineRoute({
    method: 'GET',
    path: '/events/:id/staff',
    tags: ['events'],
    description: 'The staff assigned to an event you manage, and staff users you could add (search with q).',
    access: manager,
    params: idParamsSchema,
    query: eventStaffQuerySchema,
    responses: { 200: eventStaffSchema },
  }),
  'events.staff.set': defineRoute({
    method: 'PUT',
    path: '/events/:id/staff',
    tags: ['events'],
    description:
      "Replaces the event's staff (its organizer or an admin); every id must be a user with role staff, organizer or admin.",
    access: manager,
    params: idParamsSchema,
    body: staffAssignmentSchema,
    responses: { 200: eventSchema },
  }),
  'events.stats': defineRoute({
    method: 'GET',
    path: '/events/:id/stats',
    tags: ['events'],
    description:
      "The event's dashboard figures (bookings, check-ins, by ticket type, gate and hour), for its organizer, staff and admins.",
    access: 'signedIn',
    params: idParamsSchema,
    responses: { 200: eventStatsSchema },
  }),
  'events.ticketKeys.list': defineRoute({
    method: 'GET',
    path: '/events/:id/ticket-keys',
    tags: ['tickets'],
    description: "The event's ticket public keys (several during rotation), as devices receive them by sync.",
    access: 'signedIn',
    params: idParamsSchema,
    responses: { 200: ticketKeysSchema },
  }),
  'events.ticketKeys.rotate': defineRoute({
    method: 'POST',
    path: '/events/:id/ticket-keys/rotate',
    tags: ['tickets'],
    description:
      'Adds a new signing key; tickets signed by older keys stay valid. With an Idempotency-Key header a ' +
      'retried request answers the first rotation again instead of adding another key.',
    access: manager,
    params: idParamsSchema,
    responses: { 200: ticketKeysSchema },
    idempotent: true,
  }),
} as const;
