import { routes } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';

export function registerEventRoutes(_app: FastifyInstance, ctx: AppContext): void {
  const { events, tickets, routes: server } = ctx;

  server.serve(routes['events.list'], async ({ user, query }) => events.list(user, query));

  server.serve(routes['events.create'], async ({ user, body, newId }) => events.create(user, body, { id: newId }));

  server.serve(routes['events.get'], async ({ user, params }) => events.get(user, params.id));

  server.serve(routes['events.update'], async ({ user, params, body }) => events.update(user, params.id, body));

  server.serve(routes['events.delete'], async ({ user, params }) => {
    await events.remove(user, params.id);
    return { ok: true as const };
  });

  server.serve(routes['events.staff.list'], async ({ user, params, query }) =>
    events.staffOf(user, params.id, query.q),
  );

  server.serve(routes['events.staff.set'], async ({ user, params, body }) =>
    events.setStaff(user, params.id, body.staffIds),
  );

  server.serve(routes['events.stats'], async ({ user, params }) => events.stats(user, params.id));

  server.serve(routes['events.ticketKeys.list'], async ({ user, params }) => {
    await events.assertCanCheckIn(user, params.id);
    return { items: await tickets.publicKeys(params.id) };
  });

  server.serve(routes['events.ticketKeys.rotate'], async ({ user, params }) => {
    await events.assertCanManage(user, params.id);
    return { items: await tickets.rotate(params.id) };
  });
}
