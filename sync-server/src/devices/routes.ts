import { DEVICE_ID_HEADER, deviceIdSchema, GatehouseError, can, routes } from '@gatehouse/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { revokedDeviceError } from '../auth/guard';
import type { AppContext } from '../context';
import { ListPages } from '../http/pagination';
import type { UserRow } from '../store/rows';
import { toDevice } from '../store/wire';
import { PushProcessor } from '../sync/push';
import { importUnsent } from './unsent-import';

/** A file of MAX_UNSENT_EXPORT changes at ~500 bytes each, with room to spare. */
const UNSENT_IMPORT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

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

/**
 * Devices by when they were first seen, oldest first: not by last sync, which changes on every
 * pull and would move devices across the cursor during a walk (the admin screen sorts by it).
 */
const DEVICE_PAGES = new ListPages('devices', 'firstSeenAt', 'string');

export function registerDeviceRoutes(_app: FastifyInstance, ctx: AppContext): void {
  const { routes: server } = ctx;
  const devices = ctx.store.devices;
  /** Admins see every device; everyone else only their own (the scope is part of the query). */
  const scopeOf = (user: UserRow) => (can(user.role, 'devices.manage') ? {} : { userId: user.id });

  server.serve(routes['devices.list'], async ({ user, query }) => {
    const { limit, cursor } = query;
    const rows = await devices.list(scopeOf(user), DEVICE_PAGES.after(cursor), limit);
    return DEVICE_PAGES.page(rows, limit, toDevice);
  });

  const pusher = new PushProcessor(ctx);
  server.serve(routes['devices.importUnsent'], async ({ user, body }) => importUnsent(ctx, pusher, user, body), {
    bodyLimit: UNSENT_IMPORT_BODY_LIMIT_BYTES,
  });

  server.serve(routes['devices.revoke'], async ({ user, params }) => {
    // Someone else's device is NOT_FOUND, not FORBIDDEN: its existence does not leak.
    const revoked = await devices.revoke(params.id, scopeOf(user), new Date().toISOString());
    if (!revoked) throw new GatehouseError('NOT_FOUND', 'Device not found');
    // Its sessions end too (access tokens within the session check's bound, refresh tokens at
    // once), so the device cannot sync under another id nor sign in again silently.
    await ctx.tokens.revokeAllForDevice(revoked.userId, revoked.id, revoked.sessionId);
    return toDevice(revoked);
  });
}

/**
 * Records that the device synced for the caller (and in which session) and refuses a revoked
 * device (DEVICE_REVOKED). The device
 * follows its latest user: a shared tablet signed in by someone else now belongs to them.
 */
export async function touchDevice(
  ctx: AppContext,
  deviceId: string,
  caller: { userId: string; sessionId: string },
  clockOffsetMs?: number,
): Promise<void> {
  const device = await ctx.store.devices.touch({
    deviceId,
    userId: caller.userId,
    sessionId: caller.sessionId,
    at: new Date().toISOString(),
    ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }),
  });
  if (device.revoked) throw revokedDeviceError();
}
