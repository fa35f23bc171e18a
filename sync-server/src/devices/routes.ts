import {
  DEVICE_ID_HEADER,
  deviceIdSchema,
  deviceSchema,
  GatehouseError,
  idParamsSchema,
  limitSchema,
  cursorSchema,
  pageSchema,
  can,
} from '@gatehouse/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/guard';
import type { AppContext } from '../context';
import { toDevice } from './store';

const deviceListQuerySchema = z.strictObject({ limit: limitSchema, cursor: cursorSchema.optional() });

/** The X-Device-Id of a sync call; required, because exactly-once and revocation are per device. */
export function deviceIdOf(request: FastifyRequest): string {
  const header = request.headers[DEVICE_ID_HEADER];
  const parsed = deviceIdSchema.safeParse(Array.isArray(header) ? header[0] : header);
  if (!parsed.success) {
    throw new GatehouseError('VALIDATION_FAILED', 'Send the device id as an X-Device-Id header (a UUID)', [
      { path: 'headers.x-device-id', message: 'must be a UUID' },
    ]);
  }
  return parsed.data;
}

export function registerDeviceRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { devices } = ctx;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const viewerOf = (request: FastifyRequest) => {
    const user = principalOf(request).user;
    return { _id: user._id, isAdmin: can(user.role, 'devices.manage') };
  };

  r.get(
    '/devices',
    {
      preHandler: ctx.guard.signedIn,
      schema: { tags: ['devices'], querystring: deviceListQuerySchema, response: { 200: pageSchema(deviceSchema) } },
    },
    async (request) => devices.list(viewerOf(request), request.query),
  );

  r.delete(
    '/devices/:id',
    {
      preHandler: ctx.guard.signedIn,
      schema: { tags: ['devices'], params: idParamsSchema, response: { 200: deviceSchema } },
    },
    async (request) => {
      const revoked = await devices.revoke(viewerOf(request), request.params.id);
      // Its refresh tokens go too, so the device cannot even sign in again silently.
      await ctx.tokens.revokeAllForDevice(revoked.userId, revoked._id);
      return toDevice(revoked);
    },
  );

  return devices.ensureIndexes();
}
