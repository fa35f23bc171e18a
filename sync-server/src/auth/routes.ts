import { randomUUID } from 'node:crypto';
import { GatehouseError, routes, type Session } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import type { UserRow } from '../store/rows';
import { toUser } from '../store/wire';
import { revokedDeviceError } from './guard';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './passwords';

export function registerAuthRoutes(_app: FastifyInstance, ctx: AppContext): void {
  const { tokens, lockout, config, routes: server } = ctx;
  const users = ctx.store.users;

  async function startSession(user: UserRow, deviceId: string | null): Promise<Session> {
    const { refreshToken, sessionId } = await tokens.issueRefreshToken(user.id, deviceId);
    return {
      accessToken: tokens.issueAccessToken(user, { id: sessionId, deviceId }),
      refreshToken,
      expiresIn: config.jwt.accessTtlSeconds,
      user: toUser(user),
    };
  }

  /**
   * A refused refresh token whose account was disabled, or whose device was revoked, says so
   * (ACCOUNT_DISABLED / DEVICE_REVOKED): at that answer the device saves its outbox to a file and
   * wipes its local data, which a plain REFRESH_TOKEN_INVALID (sign in again) must not do.
   */
  async function whyRefreshRefused(refreshToken: string): Promise<GatehouseError | null> {
    const row = await tokens.findRefreshToken(refreshToken);
    if (!row) return null;
    const user = await users.findById(row.userId);
    if (user?.disabled) return new GatehouseError('ACCOUNT_DISABLED', 'This account is disabled');
    const device = row.deviceId === null ? null : await ctx.store.devices.findById(row.deviceId);
    return device?.revoked ? revokedDeviceError() : null;
  }

  // Public routes (the proof is a password or a refresh token in the body), all on the login limit.
  const loginRateLimit = { config: { rateLimit: { max: config.rateLimit.loginPerMinute, timeWindow: '1 minute' } } };

  server.serve(
    routes['auth.register'],
    async ({ body, request }) => {
      const { email, password, name } = body;
      const passwordHash = await hashPassword(password, config.scryptCost);
      // Self-registration always yields an attendee; staff roles are granted by an admin.
      const user = await users.create({
        id: randomUUID(),
        email,
        name,
        role: 'attendee',
        passwordHash,
        at: new Date().toISOString(),
      });
      return startSession(user, deviceIdOf(request.headers));
    },
    loginRateLimit,
  );

  server.serve(
    routes['auth.login'],
    async ({ body, request }) => {
      const { email, password } = body;
      await lockout.assertNotLocked(email, request.ip);
      const user = await users.findByEmail(email);
      const valid = user
        ? await verifyPassword(password, user.passwordHash)
        : await verifyAgainstDummy(password, config.scryptCost);
      if (!user || !valid) {
        await lockout.recordFailure(email, request.ip);
        throw new GatehouseError('INVALID_CREDENTIALS', 'Email or password is wrong');
      }
      if (user.disabled) throw new GatehouseError('ACCOUNT_DISABLED', 'This account is disabled');
      await lockout.recordSuccess(email, request.ip);
      return startSession(user, deviceIdOf(request.headers));
    },
    loginRateLimit,
  );

  server.serve(
    routes['auth.refresh'],
    async ({ body }) => {
      const rotated = await tokens.rotate(body.refreshToken).catch(async (error: unknown) => {
        throw (await whyRefreshRefused(body.refreshToken)) ?? error;
      });
      const user = await users.findById(rotated.userId);
      if (!user || user.disabled) {
        await tokens.revokeAllForUser(rotated.userId);
        throw new GatehouseError('ACCOUNT_DISABLED', 'This account is disabled');
      }
      return {
        accessToken: tokens.issueAccessToken(user, { id: rotated.sessionId, deviceId: rotated.deviceId }),
        refreshToken: rotated.refreshToken,
        expiresIn: config.jwt.accessTtlSeconds,
        user: toUser(user),
      };
    },
    loginRateLimit,
  );

  server.serve(
    routes['auth.logout'],
    // Holding the refresh token is the proof; an expired access token must not stop a sign-out.
    async ({ body }) => {
      await tokens.revokeByToken(body.refreshToken);
      return { ok: true as const };
    },
    loginRateLimit,
  );
}

/** Devices name themselves with a UUID; anything else is ignored rather than stored. */
export function deviceIdOf(headers: Record<string, string | string[] | undefined>): string | null {
  const value = headers['x-device-id'];
  return typeof value === 'string' && /^[0-9a-f-]{36}$/i.test(value) ? value.toLowerCase() : null;
}
