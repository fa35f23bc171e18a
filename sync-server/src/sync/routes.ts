import { PROTOCOL_VERSION_HEADER, requestProtocolVersion, routes } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import { deviceIdOf, touchDevice } from '../devices/routes';
import { sendError } from '../http/errors';
import { CursorCodec } from './cursor';
import { isAllowedOrigin, LiveHub, type LiveOptions } from './live';
import { pullChanges } from './pull';
import { pullAnswer } from './pull-answer';
import { clockOffsetOf, PushProcessor, readBatch } from './push';

export type SyncDomainOptions = { live?: Partial<LiveOptions> };

export function registerSyncRoutes(app: FastifyInstance, ctx: AppContext): void {
  const codec = new CursorCodec(ctx.config.jwt.secret);
  const pusher = new PushProcessor(ctx);
  const live = new LiveHub(ctx, ctx.config.live);
  const server = ctx.routes;

  server.serve(
    routes['sync.push'],
    async ({ request, body, user, session }) => {
      const batch = readBatch(body.mutations);
      const deviceId = deviceIdOf(request);
      ctx.guard.requireDevice({ user, session }, deviceId);
      await touchDevice(
        ctx,
        deviceId,
        { userId: user.id, sessionId: session.familyId },
        clockOffsetOf(batch, Date.now()),
      );
      return pusher.push(user, deviceId, batch);
    },
    {
      // The signer may be a disabled account: its queued mutations are then answered one by one as
      // rejected (ACCOUNT_DISABLED), so the device shows them instead of retrying forever (§3, P6).
      authenticate: (request) => ctx.guard.authenticateSigner(request),
      // Up to MAX_PUSH_BATCH results, each built by the ledger from its own records: checked in
      // tests (checkAnswers), not per request.
      fastAnswer: true,
    },
  );

  server.serve(
    routes['sync.pull'],
    async ({ request, user, session, query }) => {
      const deviceId = deviceIdOf(request);
      ctx.guard.requireDevice({ user, session }, deviceId);
      await touchDevice(ctx, deviceId, { userId: user.id, sessionId: session.familyId });
      // Checked before any route (app.ts): a version the server does not accept never gets here.
      const version = requestProtocolVersion(request.headers[PROTOCOL_VERSION_HEADER]) ?? 1;
      // Sent as bytes assembled from the log's stored docs (pull-answer.ts), not as an object to serialize.
      return pullAnswer(await pullChanges(ctx, codec, user, query, version));
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
