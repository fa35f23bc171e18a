import { routes } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';

export function registerBookingRoutes(_app: FastifyInstance, ctx: AppContext): void {
  const { bookings, routes: server } = ctx;

  server.serve(routes['bookings.book'], async ({ user, params, body, newId }) =>
    bookings.book(user, params.id, body, { bookingId: newId }),
  );

  server.serve(routes['bookings.listForEvent'], async ({ user, params, query }) =>
    bookings.listForEvent(user, params.id, query),
  );

  server.serve(routes['bookings.walkIn'], async ({ user, params, body, newId }) =>
    bookings.walkIn(user, params.id, body, { bookingId: newId }),
  );

  server.serve(routes['bookings.listMine'], async ({ user, query }) => bookings.listMine(user, query));

  server.serve(routes['bookings.cancel'], async ({ user, params }) => bookings.cancel(user, params.id));

  server.serve(routes['bookings.ticket'], async ({ user, params }) => bookings.ticket(user, params.id));
}
