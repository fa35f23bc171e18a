import { routes } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';

export function registerAlertRoutes(_app: FastifyInstance, ctx: AppContext): void {
  const { alerts, events, routes: server } = ctx;

  // The same audience as the event's sync bucket: its organizer, its staff, admins.
  server.serve(routes['alerts.listForEvent'], async ({ user, params, query }) => {
    await events.assertCanCheckIn(user, params.id);
    return { items: await alerts.listForEvent(params.id, query.limit) };
  });
}
