import { GatehouseError, routes } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import { ListPages } from '../http/pagination';
import { toUser } from '../store/wire';

/** Users by when they were created, oldest first. */
const USER_PAGES = new ListPages('users', 'createdAt', 'string');

export function registerUserRoutes(_app: FastifyInstance, ctx: AppContext): void {
  const { tokens, routes: server } = ctx;
  const users = ctx.store.users;

  server.serve(routes['users.me'], async ({ user }) => toUser(user));

  server.serve(routes['users.updateMe'], async ({ user, body }) => {
    // The store publishes the new profile to the user's bucket, so their devices learn of it.
    const updated = await users.update(user.id, { name: body.name }, new Date().toISOString());
    if (!updated) throw new GatehouseError('NOT_FOUND', 'User not found');
    return toUser(updated);
  });

  server.serve(routes['users.list'], async ({ query }) => {
    const { q, role, limit, cursor } = query;
    const rows = await users.list({ ...(q ? { q } : {}), ...(role ? { role } : {}) }, USER_PAGES.after(cursor), limit);
    return USER_PAGES.page(rows, limit, toUser);
  });

  server.serve(routes['users.update'], async ({ user: me, params, body: patch }) => {
    const { id } = params;
    // An admin cannot lock themselves out; another admin must do it, so one always remains.
    if (id === me.id && ((patch.role && patch.role !== 'admin') || patch.disabled)) {
      throw new GatehouseError('CONFLICT', 'You cannot demote or disable your own account');
    }
    const updated = await users.update(id, patch, new Date().toISOString());
    if (!updated) throw new GatehouseError('NOT_FOUND', 'User not found');
    if (patch.disabled) await tokens.revokeAllForUser(id);
    return toUser(updated);
  });
}
