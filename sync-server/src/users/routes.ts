import { GatehouseError, routes, type UserSession } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import { hashPassword, verifyPassword } from '../auth/passwords';
import { ListPages } from '../http/pagination';
import type { SessionSummaryRow } from '../store/port';
import { toUser } from '../store/wire';
import { EmailChanges } from './email-change';

/** Users by when they were created, oldest first. */
const USER_PAGES = new ListPages('users', 'createdAt', 'string');

export function registerUserRoutes(_app: FastifyInstance, ctx: AppContext): void {
  const { tokens, routes: server } = ctx;
  const users = ctx.store.users;

  server.serve(routes['users.me'], async ({ user }) => toUser(user));

  const emailChanges = new EmailChanges(ctx);
  // Sign-in-strength proofs (a password here, a code on confirm) share the login rate limit.
  const loginRateLimit = {
    config: { rateLimit: { max: ctx.config.rateLimit.loginPerMinute, timeWindow: '1 minute' } },
  };

  server.serve(routes['users.myEmailChange'], async ({ user }) => emailChanges.state(user.id));

  server.serve(
    routes['users.requestEmailChange'],
    async ({ user, body, request }) => emailChanges.request(user, body, request.ip),
    loginRateLimit,
  );

  server.serve(routes['auth.confirmEmailChange'], async ({ body }) => emailChanges.confirm(body.token), loginRateLimit);

  server.serve(routes['users.updateMe'], async ({ user, body }) => {
    // The store publishes the new profile to the user's bucket, so their devices learn of it.
    const updated = await users.update(user.id, { name: body.name }, new Date().toISOString());
    if (!updated) throw new GatehouseError('NOT_FOUND', 'User not found');
    return toUser(updated);
  });

  /** Sessions as their user sees them, with each device's name where it reported one. */
  async function describeSessions(rows: SessionSummaryRow[], currentId: string): Promise<UserSession[]> {
    const deviceIds = [...new Set(rows.flatMap((row) => (row.deviceId === null ? [] : [row.deviceId])))];
    const devices = await Promise.all(deviceIds.map((id) => ctx.store.devices.findById(id)));
    const nameOf = new Map(devices.flatMap((device) => (device ? [[device.id, device.name] as const] : [])));
    return rows.map((row) => ({
      id: row.familyId,
      deviceId: row.deviceId,
      deviceName: row.deviceId === null ? null : (nameOf.get(row.deviceId) ?? null),
      startedAt: new Date(row.startedAtMs).toISOString(),
      lastActiveAt: new Date(row.lastActiveAtMs).toISOString(),
      expiresAt: new Date(row.expiresAtMs).toISOString(),
      current: row.familyId === currentId,
    }));
  }

  server.serve(routes['users.mySessions'], async ({ user, session }) => ({
    items: await describeSessions(await ctx.store.sessions.listActive(user.id, Date.now()), session.familyId),
  }));

  server.serve(routes['users.endMySession'], async ({ user, params }) => {
    await tokens.revokeSession(user.id, params.id);
    return { ok: true as const };
  });

  server.serve(routes['users.endMyOtherSessions'], async ({ user, session }) => ({
    ended: await tokens.revokeAllForUser(user.id, session.familyId),
  }));

  server.serve(
    routes['users.changeMyPassword'],
    async ({ user, session, body, request }) => {
      // The current password is a sign-in in all but name: the same lockout counts its failures.
      await ctx.lockout.assertNotLocked(user.email, request.ip);
      if (!(await verifyPassword(body.currentPassword, user.passwordHash))) {
        await ctx.lockout.recordFailure(user.email, request.ip);
        throw new GatehouseError('INVALID_CREDENTIALS', 'The current password is wrong');
      }
      await ctx.lockout.recordSuccess(user.email, request.ip);
      const passwordHash = await hashPassword(body.newPassword, ctx.config.scryptCost);
      const updated = await users.update(user.id, { passwordHash }, new Date().toISOString());
      if (!updated) throw new GatehouseError('NOT_FOUND', 'User not found');
      return { ended: await tokens.revokeAllForUser(user.id, session.familyId) };
    },
    { config: { rateLimit: { max: ctx.config.rateLimit.loginPerMinute, timeWindow: '1 minute' } } },
  );

  server.serve(routes['users.endSessions'], async ({ params }) => {
    if (!(await users.findById(params.id))) throw new GatehouseError('NOT_FOUND', 'User not found');
    return { ended: await tokens.revokeAllForUser(params.id) };
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
