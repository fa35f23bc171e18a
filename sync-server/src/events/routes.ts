import {
  errorBodySchema,
  eventCreateSchema,
  eventListQuerySchema,
  eventPatchSchema,
  eventSchema,
  eventStaffQuerySchema,
  eventStaffSchema,
  eventStatsSchema,
  idParamsSchema,
  okSchema,
  pageSchema,
  staffAssignmentSchema,
  ticketPublicKeySchema,
} from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/guard';
import type { AppContext } from '../context';

/** Documented failures of every event route; the body is always the shared error shape. */
export const errorResponses = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
  422: errorBodySchema,
} as const;

export function registerEventRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { events, tickets, guard } = ctx;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];

  r.get(
    '/events',
    {
      preHandler: guard.signedIn,
      schema: {
        tags: ['events'],
        security,
        description: 'Published events for everyone signed in, plus the drafts you organize or staff (admins: all).',
        querystring: eventListQuerySchema,
        response: { 200: pageSchema(eventSchema), ...errorResponses },
      },
    },
    async (request) => events.list(principalOf(request).user, request.query),
  );

  r.post(
    '/events',
    {
      preHandler: guard.permission('events.create'),
      schema: {
        tags: ['events'],
        security,
        body: eventCreateSchema,
        response: { 201: eventSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await events.create(principalOf(request).user, request.body)),
  );

  r.get(
    '/events/:id',
    {
      preHandler: guard.signedIn,
      schema: { tags: ['events'], security, params: idParamsSchema, response: { 200: eventSchema, ...errorResponses } },
    },
    async (request) => events.get(principalOf(request).user, request.params.id),
  );

  r.patch(
    '/events/:id',
    {
      preHandler: guard.permission('events.create'),
      schema: {
        tags: ['events'],
        security,
        params: idParamsSchema,
        body: eventPatchSchema,
        response: { 200: eventSchema, ...errorResponses },
      },
    },
    async (request) => events.update(principalOf(request).user, request.params.id, request.body),
  );

  r.delete(
    '/events/:id',
    {
      preHandler: guard.permission('events.create'),
      schema: { tags: ['events'], security, params: idParamsSchema, response: { 200: okSchema, ...errorResponses } },
    },
    async (request) => {
      await events.remove(principalOf(request).user, request.params.id);
      return { ok: true as const };
    },
  );

  r.get(
    '/events/:id/staff',
    {
      preHandler: guard.permission('events.create'),
      schema: {
        tags: ['events'],
        security,
        description: 'The staff assigned to an event you manage, and staff users you could add (search with q).',
        params: idParamsSchema,
        querystring: eventStaffQuerySchema,
        response: { 200: eventStaffSchema, ...errorResponses },
      },
    },
    async (request) => events.staffOf(principalOf(request).user, request.params.id, request.query.q),
  );

  r.put(
    '/events/:id/staff',
    {
      preHandler: guard.permission('events.create'),
      schema: {
        tags: ['events'],
        security,
        params: idParamsSchema,
        body: staffAssignmentSchema,
        response: { 200: eventSchema, ...errorResponses },
      },
    },
    async (request) => events.setStaff(principalOf(request).user, request.params.id, request.body.staffIds),
  );

  r.get(
    '/events/:id/stats',
    {
      preHandler: guard.signedIn,
      schema: {
        tags: ['events'],
        security,
        params: idParamsSchema,
        response: { 200: eventStatsSchema, ...errorResponses },
      },
    },
    async (request) => events.stats(principalOf(request).user, request.params.id),
  );

  r.get(
    '/events/:id/ticket-keys',
    {
      preHandler: guard.signedIn,
      schema: {
        tags: ['tickets'],
        security,
        description: "The event's ticket public keys (several during rotation), as devices receive them by sync.",
        params: idParamsSchema,
        response: { 200: z.object({ items: z.array(ticketPublicKeySchema) }), ...errorResponses },
      },
    },
    async (request) => {
      await events.assertCanCheckIn(principalOf(request).user, request.params.id);
      return { items: await tickets.publicKeys(request.params.id) };
    },
  );

  r.post(
    '/events/:id/ticket-keys/rotate',
    {
      preHandler: guard.permission('events.create'),
      schema: {
        tags: ['tickets'],
        security,
        description: 'Adds a new signing key; tickets signed by older keys stay valid.',
        params: idParamsSchema,
        response: { 200: z.object({ items: z.array(ticketPublicKeySchema) }), ...errorResponses },
      },
    },
    async (request) => {
      await events.assertCanManage(principalOf(request).user, request.params.id);
      return { items: await tickets.rotate(request.params.id) };
    },
  );
}
