import { can, GatehouseError, type Permission } from '@gatehouse/protocol';
import type { FastifyRequest } from 'fastify';
import type { UserRepository } from '../store/port';
import type { UserRow } from '../store/rows';
import type { TokenService } from './tokens';

export type Principal = { user: UserRow };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * The one place that turns a bearer token into a user. The user is read from the database on every
 * request, so a role change or a disabled account takes effect at once, not when the token expires.
 */
export function createGuard(tokens: TokenService, users: UserRepository) {
  async function authenticateToken(token: string): Promise<Principal> {
    const claims = tokens.verifyAccessToken(token);
    const user = await users.findById(claims.sub);
    if (!user) throw new GatehouseError('TOKEN_INVALID', 'The access token is not valid');
    if (user.disabled) throw new GatehouseError('ACCOUNT_DISABLED', 'This account is disabled');
    return { user };
  }

  async function authenticate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    if (!header) throw new GatehouseError('UNAUTHENTICATED', 'Sign in first: send Authorization: Bearer <token>');
    const match = /^Bearer ([A-Za-z0-9_.-]{1,4096})$/.exec(header);
    if (!match) throw new GatehouseError('TOKEN_INVALID', 'The access token is not valid');
    return authenticateToken(match[1]!);
  }

  async function requirePermission(request: FastifyRequest, permission: Permission): Promise<UserRow> {
    const { user } = await authenticate(request);
    if (!can(user.role, permission)) throw new GatehouseError('FORBIDDEN', 'Your role does not allow this');
    return user;
  }

  return {
    authenticateToken,
    /** The signed-in, enabled caller; UNAUTHENTICATED / TOKEN_* / ACCOUNT_DISABLED otherwise. */
    requireUser: async (request: FastifyRequest): Promise<UserRow> => (await authenticate(request)).user,
    /** The caller, if their current role grants `permission`; FORBIDDEN otherwise. */
    requirePermission,
    /** preHandler: any signed-in, enabled user. */
    signedIn: async (request: FastifyRequest): Promise<void> => {
      request.principal = await authenticate(request);
    },
    /** preHandler: a signed-in user whose current role grants `permission`. */
    permission:
      (permission: Permission) =>
      async (request: FastifyRequest): Promise<void> => {
        const principal = await authenticate(request);
        if (!can(principal.user.role, permission)) {
          throw new GatehouseError('FORBIDDEN', 'Your role does not allow this');
        }
        request.principal = principal;
      },
  };
}
export type Guard = ReturnType<typeof createGuard>;

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new GatehouseError('UNAUTHENTICATED', 'Sign in first');
  return request.principal;
}
