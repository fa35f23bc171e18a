import {
  IDEMPOTENCY_KEY_HEADER,
  bookRequestSchema,
  bookingListQuerySchema,
  bookingSchema,
  idParamsSchema,
  idempotencyKeySchema,
  listQuerySchema,
  pageSchema,
  ticketResponseSchema,
  walkInRequestSchema,
} from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/guard';
import type { AppContext } from '../context';
import { errorResponses } from '../events/routes';

const myBookingsQuerySchema = listQuerySchema.omit({ q: true });
const idempotencyHeadersSchema = z.object({ [IDEMPOTENCY_KEY_HEADER]: idempotencyKeySchema.optional() });

export function registerBookingRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { bookings, guard } = ctx;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];

  r.post(
    '/events/:id/book',
    {
      preHandler: guard.permission('events.book'),
      schema: {
        tags: ['bookings'],
        security,
        description:
          'Books seats on a published event. With an Idempotency-Key header a retried request returns the ' +
          'first booking (200) instead of booking again; the same key with a different body is a 422.',
        params: idParamsSchema,
        headers: idempotencyHeadersSchema,
        body: bookRequestSchema,
        response: { 200: bookingSchema, 201: bookingSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const outcome = await bookings.bookWithOutcome(
        principalOf(request).user,
        request.params.id,
        request.body,
        request.headers[IDEMPOTENCY_KEY_HEADER],
      );
      return reply.code(outcome.replayed ? 200 : 201).send(outcome.booking);
    },
  );

  r.get(
    '/events/:id/bookings',
    {
      preHandler: guard.signedIn,
      schema: {
        tags: ['bookings'],
        security,
        description:
          "The event's bookings, for its organizer, assigned staff and admins. `q` matches name, email or code prefixes.",
        params: idParamsSchema,
        querystring: bookingListQuerySchema,
        response: { 200: pageSchema(bookingSchema), ...errorResponses },
      },
    },
    async (request) => bookings.listForEvent(principalOf(request).user, request.params.id, request.query),
  );

  r.post(
    '/events/:id/bookings',
    {
      preHandler: guard.signedIn,
      schema: {
        tags: ['bookings'],
        security,
        description: 'Adds a walk-in; accepted even beyond capacity, then flagged overCapacity.',
        params: idParamsSchema,
        body: walkInRequestSchema,
        response: { 201: bookingSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await bookings.walkIn(principalOf(request).user, request.params.id, request.body)),
  );

  r.get(
    '/bookings/me',
    {
      preHandler: guard.signedIn,
      schema: {
        tags: ['bookings'],
        security,
        querystring: myBookingsQuerySchema,
        response: { 200: pageSchema(bookingSchema), ...errorResponses },
      },
    },
    async (request) => bookings.listMine(principalOf(request).user, request.query),
  );

  r.post(
    '/bookings/:id/cancel',
    {
      preHandler: guard.signedIn,
      schema: {
        tags: ['bookings'],
        security,
        description: 'By the attendee, the organizer or an admin. Cancelling again returns the cancelled booking.',
        params: idParamsSchema,
        response: { 200: bookingSchema, ...errorResponses },
      },
    },
    async (request) => bookings.cancel(principalOf(request).user, request.params.id),
  );

  r.get(
    '/bookings/:id/ticket',
    {
      preHandler: guard.signedIn,
      schema: {
        tags: ['tickets'],
        security,
        description: 'The signed ticket token and its QR code; cancelled bookings come back revoked.',
        params: idParamsSchema,
        response: { 200: ticketResponseSchema, ...errorResponses },
      },
    },
    async (request) => bookings.ticket(principalOf(request).user, request.params.id),
  );
}
