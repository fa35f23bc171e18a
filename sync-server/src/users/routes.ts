import {
  GatehouseError,
  idParamsSchema,
  pageSchema,
  userAdminPatchSchema,
  userListQuerySchema,
  userSchema,
  userSelfPatchSchema,
} from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/guard';
import type { AppContext } from '../context';
import { afterOf, toPage } from '../http/pagination';
import { toUser } from '../store/wire';

export function registerUserRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { tokens, guard } = ctx;
  const users = ctx.store.users;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/users/me',
    { preHandler: guard.signedIn, schema: { tags: ['users'], response: { 200: userSchema } } },
    async (request) => toUser(principalOf(request).user),
  );

  r.patch(
    '/users/me',
    {
      preHandler: guard.signedIn,
      schema: { tags: ['users'], body: userSelfPatchSchema, response: { 200: userSchema } },
    },
    async (request) => {
      // The store publishes the new profile to the user's bucket, so their devices learn of it.
      const updated = await users.update(
        principalOf(request).user.id,
        { name: request.body.name },
        new Date().toISOString(),
      );
      if (!updated) throw new GatehouseError('NOT_FOUND', 'User not found');
      return toUser(updated);
    },
  );

  r.get(
    '/users',
    {
      preHandler: guard.permission('users.manage'),
      schema: { tags: ['users'], querystring: userListQuerySchema, response: { 200: pageSchema(userSchema) } },
    },
    async (request) => {
      const { q, role, limit, cursor } = request.query;
      const rows = await users.list(
        { ...(q ? { q } : {}), ...(role ? { role } : {}) },
        afterOf(cursor, 'string'),
        limit,
      );
      return toPage(rows, limit, (row) => row.createdAt, toUser);
    },
  );

  r.patch(
    '/users/:id',
    {
      preHandler: guard.permission('users.manage'),
      schema: { tags: ['users'], params: idParamsSchema, body: userAdminPatchSchema, response: { 200: userSchema } },
    },
    async (request) => {
      const me = principalOf(request).user;
      const { id } = request.params;
      const patch = request.body;
      // An admin cannot lock themselves out; another admin must do it, so one always remains.
      if (id === me.id && ((patch.role && patch.role !== 'admin') || patch.disabled)) {
        throw new GatehouseError('CONFLICT', 'You cannot demote or disable your own account');
      }
      const updated = await users.update(id, patch, new Date().toISOString());
      if (!updated) throw new GatehouseError('NOT_FOUND', 'User not found');
      if (patch.disabled) await tokens.revokeAllForUser(id);
      return toUser(updated);
    },
  );
}
