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
import { logUserProfile } from '../sync/userChanges';
import { toUser } from './store';

export function registerUserRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { users, tokens, guard } = ctx;
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
      const me = principalOf(request).user._id;
      await users.setName(me, request.body.name);
      // The user's devices learn of it through their own bucket.
      await logUserProfile(ctx.changeLog, users, me);
      return toUser((await users.findById(me))!);
    },
  );

  r.get(
    '/users',
    {
      preHandler: guard.permission('users.manage'),
      schema: { tags: ['users'], querystring: userListQuerySchema, response: { 200: pageSchema(userSchema) } },
    },
    async (request) => users.list(request.query),
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
      if (id === me._id && ((patch.role && patch.role !== 'admin') || patch.disabled)) {
        throw new GatehouseError('CONFLICT', 'You cannot demote or disable your own account');
      }
      const updated = await users.adminUpdate(id, patch);
      if (patch.disabled) await tokens.revokeAllForUser(id);
      await logUserProfile(ctx.changeLog, users, id);
      return toUser(updated);
    },
  );
}
