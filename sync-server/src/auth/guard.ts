import { can, GatehouseError, type Permission } from '@gatehouse/protocol';
import type { FastifyRequest } from 'fastify';
import type { ActiveSessionRow, DeviceRepository, UserRepository } from '../store/port';
import type { UserRow } from '../store/rows';
import type { SessionCheck } from './session-check';
import type { TokenService } from './tokens';

/** The caller: their current user row, and the session (refresh-token family) their token was issued in. */
export type Principal = { user: UserRow; session: ActiveSessionRow };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * The one place that turns a bearer token into a caller. The user is read from the store on every
 * request, so a role change or a disabled account takes effect at once; the session through the
 * per-process `SessionCheck`, so a sign-out, a password change or a revoked device ends the
 * token within its staleness bound on every process (at once on this one).
 */
export function createGuard(
  tokens: TokenService,
  users: UserRepository,
  devices: DeviceRepository,
  sessionCheck: SessionCheck,
) {
  /**
   * The token's user and session. TOKEN_INVALID / TOKEN_EXPIRED for a bad or old token (one
   * without a session id is from before sessions were named: refreshing gives a named one),
   * SESSION_ENDED when its session was ended, ACCOUNT_DISABLED unless `allowDisabled`.
   */
  async function authenticateToken(token: string, options: { allowDisabled?: boolean } = {}): Promise<Principal> {
    const claims = tokens.verifyAccessToken(token);
    if (claims.sid === undefined) {
      throw new GatehouseError('TOKEN_EXPIRED', 'Your session has expired; refresh or sign in again');
    }
    const [user, session] = await Promise.all([users.findById(claims.sub), sessionCheck.active(claims.sid)]);
    if (!user) throw new GatehouseError('TOKEN_INVALID', 'The access token is not valid');
    if (user.disabled) {
      if (!options.allowDisabled) throw new GatehouseError('ACCOUNT_DISABLED', 'This account is disabled');
      // Disabling ended every session; a push still gets its mutations refused one by one (P6).
      return { user, session: session ?? { familyId: claims.sid, userId: user.id, deviceId: claims.did ?? null } };
    }
    if (!session || session.userId !== user.id) throw await endedError(claims.did ?? null);
    return { user, session };
  }

  /** Why a session is over, as precisely as the device can act on it: its device was revoked, or it was ended. */
  async function endedError(deviceId: string | null): Promise<GatehouseError> {
    const device = deviceId === null ? null : await devices.findById(deviceId);
    if (device?.revoked) return revokedDeviceError();
    return new GatehouseError('SESSION_ENDED', 'This session was signed out; sign in again');
  }

  async function authenticate(request: FastifyRequest, options: { allowDisabled?: boolean } = {}): Promise<Principal> {
    const header = request.headers.authorization;
    if (!header) throw new GatehouseError('UNAUTHENTICATED', 'Sign in first: send Authorization: Bearer <token>');
    const match = /^Bearer ([A-Za-z0-9_.-]{1,4096})$/.exec(header);
    if (!match) throw new GatehouseError('TOKEN_INVALID', 'The access token is not valid');
    return authenticateToken(match[1]!, options);
  }

  async function requirePermission(request: FastifyRequest, permission: Permission): Promise<Principal> {
    const principal = await authenticate(request);
    if (!can(principal.user.role, permission)) throw new GatehouseError('FORBIDDEN', 'Your role does not allow this');
    return principal;
  }

  /**
   * Syncing as `deviceId`: a session started on a device (the desktop app always names its own)
   * syncs as that device only (TOKEN_DEVICE_MISMATCH otherwise), so a token taken from one device
   * cannot sync as a fresh one. A session that named none (a script, the REST API) is recorded on
   * each device it syncs as, and ends when that device is revoked.
   */
  function requireDevice(principal: Principal, deviceId: string): void {
    const issuedFor = principal.session.deviceId;
    if (issuedFor !== null && issuedFor !== deviceId) {
      throw new GatehouseError(
        'TOKEN_DEVICE_MISMATCH',
        'This session was started on another device; sign in on this device to sync it',
      );
    }
  }

  return {
    authenticateToken,
    /** A push's signer, who may be disabled (their mutations are then refused one by one). */
    authenticateSigner: (request: FastifyRequest) => authenticate(request, { allowDisabled: true }),
    /** The signed-in, enabled caller; UNAUTHENTICATED / TOKEN_* / SESSION_ENDED / ACCOUNT_DISABLED otherwise. */
    requireUser: (request: FastifyRequest): Promise<Principal> => authenticate(request),
    /** The caller, if their current role grants `permission`; FORBIDDEN otherwise. */
    requirePermission,
    requireDevice,
    /** The session if it is still on, through the same per-process check (for long-lived sockets). */
    sessionActive: (familyId: string) => sessionCheck.active(familyId),
  };
}
export type Guard = ReturnType<typeof createGuard>;

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new GatehouseError('UNAUTHENTICATED', 'Sign in first');
  return request.principal;
}

/** DEVICE_REVOKED: the device wipes its local data at this answer, after saving what its outbox held. */
export function revokedDeviceError(): GatehouseError {
  return new GatehouseError(
    'DEVICE_REVOKED',
    'This device was revoked by an administrator or its owner; it can no longer sync',
  );
}
