import helmet from 'helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import { randomBytes } from 'node:crypto';
import {
  formatProtocolRange,
  GatehouseError,
  HybridClock,
  MAX_PUSH_BATCH,
  MAX_PUSH_BATCH_HEADER,
  PROTOCOL_RANGE_HEADER,
  PROTOCOL_VERSION_HEADER,
  protocolMismatch,
  protocolMismatchMessage,
  requestProtocolVersion,
  SUPPORTED_PROTOCOL_RANGE,
} from '@gatehouse/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { createGuard } from './auth/guard';
import { LoginLockout } from './auth/lockout';
import { registerAuthRoutes } from './auth/routes';
import { registerBookingRoutes } from './bookings/routes';
import { BookingService } from './bookings/service';
import { SessionCheck } from './auth/session-check';
import { TokenService } from './auth/tokens';
import { registerAlertRoutes } from './alerts/routes';
import { AlertService } from './alerts/service';
import { CheckinService } from './checkins/service';
import { registerDeviceRoutes } from './devices/routes';
import type { RunningConfig, ServerConfig } from './config';
import type { Store } from './store/port';
import type { AppContext } from './context';
import { registerHealthRoutes } from './health/routes';
import { registerPhotoRoutes } from './images/routes';
import { registerImportRoutes } from './imports/routes';
import { registerEventRoutes } from './events/routes';
import { registerExportRoutes } from './exports/routes';
import { EventService } from './events/service';
import { registerErrorHandling } from './http/errors';
import { endConnectionsWhenClosing } from './http/closing';
import { IdempotencyKeys } from './http/idempotency';
import { documentRawBody } from './http/raw-body';
import { routeServer } from './http/serve';
import { registerMailDomain } from './mail/routes';
import { MailService } from './mail/service';
import { registerSyncRoutes } from './sync/routes';
import { TicketService } from './tickets/service';
import { ensureUser } from './users/seed';
import { registerUserRoutes } from './users/routes';
import { openStore } from './store/open';

/** 1 MiB: far above any legitimate request (a full push batch of check-ins is ~700 kB), far below a memory problem. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Requests that speak no protocol version and are never refused for one: the orchestrator's probes
 * (a 426 there would get a healthy server restarted), the API docs, and the live socket, which only
 * carries pokes — the pulls they cause are version-checked.
 */
const UNVERSIONED_PATHS = /^\/(health|ready|sync\/live|docs)(\/|\?|$)/;
/** MAX_PUSH_BATCH_HEADER's value on every answer: this server's push limit, so a device's first push is full. */
const MAX_PUSH_BATCH_TEXT = String(MAX_PUSH_BATCH);

/** Paths and headers pino must never write out. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'body.password',
  'body.refreshToken',
  'accessToken',
  'refreshToken',
  'password',
];

/**
 * A domain module: creates its services (attaching them to ctx for other domains), ensures its
 * indexes, registers its routes, starts any background worker (stopping it in an onClose hook).
 * Modules run in this order, so a domain may use the services of those before it.
 */
export type Domain = { name: string; init: (app: FastifyInstance, ctx: AppContext) => Promise<void> | void };

const DOMAINS: Domain[] = [
  { name: 'health', init: registerHealthRoutes },
  { name: 'auth', init: registerAuthRoutes },
  { name: 'users', init: registerUserRoutes },
  { name: 'events', init: registerEventRoutes },
  { name: 'bookings', init: registerBookingRoutes },
  { name: 'photos', init: registerPhotoRoutes },
  { name: 'imports', init: registerImportRoutes },
  { name: 'devices', init: registerDeviceRoutes },
  { name: 'alerts', init: registerAlertRoutes },
  { name: 'sync', init: registerSyncRoutes },
  { name: 'mail', init: registerMailDomain },
  { name: 'exports', init: registerExportRoutes },
];

export type BuiltServer = { app: FastifyInstance; ctx: AppContext };

/**
 * JWT_SECRET when set; otherwise the store's own secret, created on first start (or adopted from
 * the `jwt-secret` file an earlier version kept in the data folder). Kept in the store, it travels
 * with backups and migrations, and every server process on one database shares it.
 */
async function resolveJwtSecret(config: ServerConfig, store: Store): Promise<string> {
  if (config.jwt.secret) return config.jwt.secret;
  return store.secrets.ensure('jwt', config.legacyJwtSecret ?? randomBytes(48).toString('base64url'));
}

export async function buildServer(config: ServerConfig): Promise<BuiltServer> {
  const app = Fastify({
    logger: { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' } },
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    // Request ids in logs tie a client's error report to the server's lines.
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  endConnectionsWhenClosing(app);
  // JSON only: a text/plain body is refused with 415 instead of reaching a schema as a string.
  app.removeContentTypeParser('text/plain');

  const store = await openStore(
    config.store,
    app.log,
    config.live?.pollMs === undefined ? {} : { watchPollMs: config.live.pollMs },
  );
  app.log.info({ store: store.kind, location: store.location }, `store: ${store.kind} at ${store.location}`);
  // Registered first because Fastify runs onClose hooks last-registered first: every domain's own
  // hook (timers to stop, work in flight) then runs while the store is open.
  app.addHook('onClose', async () => {
    await store.close();
  });
  const running: RunningConfig = { ...config, jwt: { ...config.jwt, secret: await resolveJwtSecret(config, store) } };
  const clock = new HybridClock(`server-${randomBytes(4).toString('hex')}`);
  const sessionCheck = new SessionCheck(store.sessions, config.sessionCheckStalenessMs);
  const tokens = new TokenService(store.sessions, running.jwt, (ended) => sessionCheck.ended(ended));
  const tickets = new TicketService(store);
  const events = new EventService(store, clock, tickets);
  const alerts = new AlertService(store.alerts);
  const guard = createGuard(tokens, store.users, store.devices, sessionCheck);
  const ctx: AppContext = {
    config: running,
    store,
    log: app.log,
    clock,
    tokens,
    lockout: new LoginLockout(store.lockouts, config.lockout),
    guard,
    routes: routeServer(app, guard, {
      checkAnswers: config.checkAnswers ?? true,
      idempotency: new IdempotencyKeys(store.idempotency),
    }),
    events,
    bookings: new BookingService(store, events, tickets),
    tickets,
    alerts,
    checkins: new CheckinService(store),
    mail: new MailService(store, config, tickets, app.log),
  };
  if (config.admin) {
    const admin = await ensureUser(
      store.users,
      { ...config.admin, name: 'Administrator', role: 'admin' },
      { scryptCost: config.scryptCost },
    );
    if (admin.created) app.log.info({ email: config.admin.email }, 'created first admin from ADMIN_EMAIL');
  }

  // helmet's middleware is built once here: @fastify/helmet rebuilds it from its options on every
  // request (~3 % of the server's CPU under 50 pushing devices, as much as the push's own SQL reads).
  const securityHeaders = helmet({
    // The API serves JSON; the only HTML is the /docs page, which needs its own inline assets.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, () => done()));
  // Per process, in memory: a shared store would add a database write to every request (the push
  // path included). With N processes an IP gets N× the limit; what must hold across processes —
  // password guessing — is the login lock-out, which lives in the store (auth/lockout.ts).
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.perMinute,
    timeWindow: '1 minute',
    errorResponseBuilder: (_request, context) =>
      new GatehouseError('RATE_LIMITED', `Too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`, undefined, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Gatehouse sync server', version: '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    // Byte bodies (photo uploads) are documented here, not validated: see documentRawBody.
    transform: (input) => documentRawBody(jsonSchemaTransform(input), input.route.config),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // Protocol versions (protocol/src/version.ts): every answer says the range this server accepts, and
  // a device outside it is refused before anything else, so it never sends what the server cannot read.
  app.addHook('onRequest', async (request, reply) => {
    const range = ctx.config.protocolRange ?? SUPPORTED_PROTOCOL_RANGE;
    void reply.header(PROTOCOL_RANGE_HEADER, formatProtocolRange(range));
    void reply.header(MAX_PUSH_BATCH_HEADER, MAX_PUSH_BATCH_TEXT);
    if (UNVERSIONED_PATHS.test(request.url)) return;
    const version = requestProtocolVersion(request.headers[PROTOCOL_VERSION_HEADER]);
    if (version === null) {
      throw new GatehouseError('VALIDATION_FAILED', `${PROTOCOL_VERSION_HEADER} must be a positive integer`, [
        { path: `headers.${PROTOCOL_VERSION_HEADER}`, message: 'must be a positive integer' },
      ]);
    }
    const side = protocolMismatch(version, range);
    if (side) throw new GatehouseError('PROTOCOL_UNSUPPORTED', protocolMismatchMessage(side, version, range));
  });

  for (const domain of DOMAINS) await domain.init(app, ctx);
  return { app, ctx };
}
