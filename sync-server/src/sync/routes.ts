import { GatehouseError, PROTOCOL_VERSION_HEADER, requestProtocolVersion, routes } from '@gatehouse/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context';
import { deviceIdOf, touchDevice } from '../devices/routes';
import { sendError } from '../http/errors';
import type { UserRow } from '../store/rows';
import { CursorCodec } from './cursor';
import { isAllowedOrigin, LiveHub, type LiveOptions } from './live';
import { pullChanges } from './pull';
import { clockOffsetOf, PushProcessor, readBatch } from './push';

export type SyncDomainOptions = { live?: Partial<LiveOptions> };

/**
 * The push signer may be a disabled account: its queued mutations are then answered one by one as
 * rejected (ACCOUNT_DISABLED), so the device shows them instead of retrying forever (docs/ARCHITECTURE.md §3, P6).
 * Every other sync route uses the ordinary guard.
 */
async function pushSigner(ctx: AppContext, request: FastifyRequest): Promise<UserRow> {
  const header = request.headers.authorization;
  if (!header) throw new GatehouseError('UNAUTHENTICATED', 'Sign in first: send Authorization: Bearer <token>');
  const match = /^Bearer ([A-Za-z0-9_.-]{1,4096})$/.exec(header);
  if (!match) throw new GatehouseError('TOKEN_INVALID', 'The access token is not valid');
  const claims = ctx.tokens.verifyAccessToken(match[1]!);
  const user = await ctx.store.users.findById(claims.sub);
  if (!user) throw new GatehouseError('TOKEN_INVALID', 'The access token is not valid');
  return user;
}

export function registerSyncRoutes(app: FastifyInstance, ctx: AppContext): void {
  const codec = new CursorCodec(ctx.config.jwt.secret);
  const pusher = new PushProcessor(ctx);
  const live = new LiveHub(ctx, ctx.config.live);
  const server = ctx.routes;

  server.serve(
    routes['sync.push'],
    async ({ request, body }) => {
      const batch = readBatch(body.mutations);
      const deviceId = deviceIdOf(request);
      const user = request.principal!.user;
      await touchDevice(ctx, deviceId, user.id, clockOffsetOf(batch, Date.now()));
      return pusher.push(user, deviceId, batch);
    },
    { authenticate: (request) => pushSigner(ctx, request) },
  );

  server.serve(
    routes['sync.pull'],
    async ({ request, user, query }) => {
      await touchDevice(ctx, deviceIdOf(request), user.id);
      // Checked before any route (app.ts): a version the server does not accept never gets here.
      const version = requestProtocolVersion(request.headers[PROTOCOL_VERSION_HEADER]) ?? 1;
      return pullChanges(ctx, codec, user, query, version);
    },
    // A page holds up to MAX_PULL_LIMIT changes built from stored rows: checked in tests, not per request.
    { fastAnswer: true },
  );

  app.get(
    '/sync/live',
    {
      websocket: true,
      // Checked before the upgrade: a page on a foreign origin never gets a socket at all.
      preValidation: async (request, reply) => {
        if (!isAllowedOrigin(request.headers.origin, ctx.config.allowedOrigins)) {
          return sendError(reply, 403, {
            error: { code: 'ORIGIN_FORBIDDEN', message: 'This origin may not open live updates' },
          });
        }
      },
      schema: { hide: true },
    },
    (socket, request) => live.accept(socket, request),
  );

  app.addHook('onReady', async () => live.start());
  app.addHook('preClose', async () => live.stop());
}
