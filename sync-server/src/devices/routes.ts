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
import { afterOf, toPage } from '../http/pagination';
import { toDevice } from '../store/wire';

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

export function registerDeviceRoutes(app: FastifyInstance, ctx: AppContext): void {
  const devices = ctx.store.devices;
  const r = app.withTypeProvider<ZodTypeProvider>();
  /** Admins see every device; everyone else only their own (the scope is part of the query). */
  const scopeOf = (request: FastifyRequest) => {
    const user = principalOf(request).user;
    return can(user.role, 'devices.manage') ? {} : { userId: user.id };
  };

  r.get(
    '/devices',
    {
      preHandler: ctx.guard.signedIn,
      schema: { tags: ['devices'], querystring: deviceListQuerySchema, response: { 200: pageSchema(deviceSchema) } },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await devices.list(scopeOf(request), afterOf(cursor, 'string'), limit);
      return toPage(rows, limit, (row) => row.lastSeenAt, toDevice);
    },
  );

  r.delete(
    '/devices/:id',
    {
      preHandler: ctx.guard.signedIn,
      schema: { tags: ['devices'], params: idParamsSchema, response: { 200: deviceSchema } },
    },
    async (request) => {
      // Someone else's device is NOT_FOUND, not FORBIDDEN: its existence does not leak.
      const revoked = await devices.revoke(request.params.id, scopeOf(request), new Date().toISOString());
      if (!revoked) throw new GatehouseError('NOT_FOUND', 'Device not found');
      // Its refresh tokens go too, so the device cannot even sign in again silently.
      await ctx.tokens.revokeAllForDevice(revoked.userId, revoked.id);
      return toDevice(revoked);
    },
  );
}

/**
 * Records that the device synced for `userId` and refuses a revoked device (FORBIDDEN). The device
 * follows its latest user: a shared tablet signed in by someone else now belongs to them.
 */
export async function touchDevice(
  ctx: AppContext,
  deviceId: string,
  userId: string,
  clockOffsetMs?: number,
): Promise<void> {
  const device = await ctx.store.devices.touch({
    deviceId,
    userId,
    at: new Date().toISOString(),
    ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }),
  });
  if (device.revoked) {
    throw new GatehouseError(
      'FORBIDDEN',
      'This device was revoked by an administrator or its owner; it can no longer sync',
    );
  }
}
