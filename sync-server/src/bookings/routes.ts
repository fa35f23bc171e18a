import { IDEMPOTENCY_KEY_HEADER, routes } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';

export function registerBookingRoutes(_app: FastifyInstance, ctx: AppContext): void {
  const { bookings, routes: server } = ctx;

  server.serve(routes['bookings.book'], async ({ user, params, body, headers, reply }) => {
    const outcome = await bookings.bookWithOutcome(user, params.id, body, headers[IDEMPOTENCY_KEY_HEADER]);
    // A replayed Idempotency-Key answers the first booking with 200 instead of 201.
    if (outcome.replayed) void reply.status(200);
    return outcome.booking;
  });

  server.serve(routes['bookings.listForEvent'], async ({ user, params, query }) =>
    bookings.listForEvent(user, params.id, query),
  );

  server.serve(routes['bookings.walkIn'], async ({ user, params, body }) => bookings.walkIn(user, params.id, body));

  server.serve(routes['bookings.listMine'], async ({ user, query }) => bookings.listMine(user, query));

  server.serve(routes['bookings.cancel'], async ({ user, params }) => bookings.cancel(user, params.id));

  server.serve(routes['bookings.ticket'], async ({ user, params }) => bookings.ticket(user, params.id));
}
