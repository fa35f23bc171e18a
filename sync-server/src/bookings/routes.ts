import { routes } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import { ErasureSweeper } from './erasure';

export function registerBookingRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { bookings, routes: server } = ctx;

  // Events' retention setting (eraseAttendeesAfterDays): erased in the background, in batches.
  const sweeper = new ErasureSweeper(ctx.store, app.log);
  sweeper.start();
  app.addHook('preClose', async () => {
    await sweeper.stop();
  });

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

  server.serve(routes['bookings.erase'], async ({ user, params }) => bookings.erase(user, params.id));

  server.serve(routes['bookings.ticket'], async ({ user, params }) => bookings.ticket(user, params.id));
}
