import {
  errorBodySchema,
  GatehouseError,
  type RouteAnswer,
  type RouteDef,
  routeHeaders,
  usualStatus,
} from '@gatehouse/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { Guard, Principal } from '../auth/guard';
import type { ActiveSessionRow } from '../store/port';
import type { UserRow } from '../store/rows';
import type { IdempotencyKeys } from './idempotency';
import { JsonAnswer } from './json-answer';
import { type BytesAnswer, type RawBodyConfig, registerRawBodyParser, sendBytes } from './raw-body';

/** Error answers every route may give (`errorBodySchema`, see http/errors.ts for when). */
export const ERROR_RESPONSES = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
  413: errorBodySchema,
  415: errorBodySchema,
  422: errorBodySchema,
  426: errorBodySchema,
  429: errorBodySchema,
  500: errorBodySchema,
  503: errorBodySchema,
} as const;

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a route handler receives: the validated request parts, typed by the route's schemas. */
export type RouteCall<R extends RouteDef> = {
  params: Parsed<R['params']>;
  query: Parsed<R['query']>;
  body: Parsed<R['body']>;
  /**
   * On a `rawBody` route: the body's bytes (at most the route's maxBytes; the parser refused a
   * longer one), or undefined when none came or it was not sent as bytes.
   */
  bytes: R['rawBody'] extends object ? Buffer | undefined : undefined;
  headers: Parsed<R['headers']>;
  /**
   * On an idempotent route: the id what the call creates should take. With an Idempotency-Key it
   * is the key's (http/idempotency.ts), so a re-run after a first attempt died meets what that
   * attempt created instead of creating a second; without one, a fresh UUID.
   */
  newId: R['idempotent'] extends true ? string : undefined;
  /** The caller; null only on public routes. */
  user: R['access'] extends 'public' ? UserRow | null : UserRow;
  /** The session the caller's token was issued in; null only on public routes. */
  session: R['access'] extends 'public' ? ActiveSessionRow | null : ActiveSessionRow;
  request: FastifyRequest;
  /** To answer with another of the route's success statuses than its usual one (`reply.status(200)`). */
  reply: FastifyReply;
};

export type ServeOptions = {
  /** Replaces the route's access check and returns the caller (e.g. a push signed by a disabled account). */
  authenticate?: (request: FastifyRequest) => Promise<Principal>;
  /** The route's own body limit in bytes, above the server's BODY_LIMIT_BYTES (an admin's file import). */
  bodyLimit?: number;
  /** Fastify route config (e.g. `{ rateLimit: false }`). */
  config?: Record<string, unknown>;
  /**
   * Answers are serialized with JSON.stringify instead of being checked against the response
   * schema, and a `JsonAnswer`'s bytes are sent unchecked: for a hot path whose answer is built
   * from validated rows (a pull page of thousands of changes). `checkAnswers` (tests, development)
   * turns the check back on.
   */
  fastAnswer?: boolean;
  /** On a `rawBody` route: the refusals of a body over its maxBytes and of one of the wrong type. */
  rawBodyErrors?: Pick<RawBodyConfig, 'tooLarge' | 'wrongType'>;
};

/**
 * What a handler returns: the route's JSON answer (or that answer already serialized, a
 * `JsonAnswer`), or bytes with their validators on a `bytesAnswer` route.
 */
export type HandlerAnswer<R extends RouteDef> = R['bytesAnswer'] extends object
  ? BytesAnswer
  : RouteAnswer<R> | JsonAnswer<RouteAnswer<R>>;

export type RouteServer = {
  serve<R extends RouteDef>(
    route: R,
    handler: (call: RouteCall<R>) => Promise<HandlerAnswer<R>>,
    options?: ServeOptions,
  ): void;
  /**
   * A route whose answer is a stream (a CSV export) rather than a JSON body: the handler sets the
   * headers on `call.reply` and returns the stream, which Fastify sends as it is produced (a stream
   * is never serialized). Errors thrown before the stream is returned answer as any route's do.
   */
  serveStream<R extends RouteDef>(
    route: R,
    handler: (call: RouteCall<R>) => Promise<Readable>,
    options?: ServeOptions,
  ): void;
};

/**
 * Registers routes from the protocol's route table: method, path, request schemas (validated by
 * Fastify), response schemas (serialized by them, which also drops fields a schema does not name),
 * the access check and the OpenAPI description all come from the table. The handler only says
 * what the route does. `checkAnswers` false (production) lets `fastAnswer` routes skip the check.
 */
export function routeServer(
  app: FastifyInstance,
  guard: Guard,
  options: {
    checkAnswers: boolean;
    /** Where idempotent routes keep their keys; needed once such a route is served. */
    idempotency?: IdempotencyKeys;
  },
): RouteServer {
  let rawParser = false;
  const server: RouteServer = {
    serveStream(route, handler, serveOptions) {
      // The same registration; only the answer differs, and Fastify sends a stream without serializing it.
      server.serve(
        route,
        handler as unknown as (call: RouteCall<typeof route>) => Promise<HandlerAnswer<typeof route>>,
        serveOptions,
      );
    },
    serve(route, handler, serveOptions = {}) {
      const { access } = route;
      const keys = route.idempotent ? options.idempotency : undefined;
      if (route.idempotent && (!keys || access === 'public')) {
        throw new Error(`${route.method} ${route.path}: an idempotent route needs a signed-in caller and a key store`);
      }
      const headers = routeHeaders(route);
      const status = usualStatus(route);
      const authenticate =
        serveOptions.authenticate ??
        (access === 'public'
          ? null
          : access === 'signedIn'
            ? guard.requireUser
            : (request: FastifyRequest) => guard.requirePermission(request, access.permission));
      const fast = serveOptions.fastAnswer === true && !options.checkAnswers;
      /**
       * A `JsonAnswer` leaves as its bytes — the same bytes whether checked or not, so tests see what
       * production sends — after their parse is checked against the answer status's schema unless
       * `fast`. Any other answer goes on to Fastify's serializer.
       */
      const sendJsonAnswer = (reply: FastifyReply, answer: unknown): unknown => {
        if (!(answer instanceof JsonAnswer)) return answer;
        if (!fast) {
          const schema = route.responses[reply.statusCode as keyof typeof route.responses];
          if (!schema) throw new Error(`${route.method} ${route.path} declares no answer for ${reply.statusCode}`);
          answer.check(schema);
        }
        void reply.type('application/json; charset=utf-8');
        return answer.bytes;
      };
      let config = serveOptions.config;
      if (route.rawBody) {
        if (!rawParser) registerRawBodyParser(app);
        rawParser = true;
        const errors = serveOptions.rawBodyErrors ?? {
          tooLarge: () =>
            new GatehouseError('PAYLOAD_TOO_LARGE', `Body is larger than ${route.rawBody!.maxBytes} bytes`),
          wrongType: () =>
            new GatehouseError('UNSUPPORTED_MEDIA_TYPE', `Send the body as ${route.rawBody!.mediaTypes.join(', ')}`),
        };
        const rawBody: RawBodyConfig = {
          maxBytes: route.rawBody.maxBytes,
          mediaTypes: route.rawBody.mediaTypes,
          ...errors,
        };
        config = { ...config, rawBody };
      }
      app.route({
        method: route.method,
        url: route.path,
        ...(config ? { config } : {}),
        ...(serveOptions.bodyLimit ? { bodyLimit: serveOptions.bodyLimit } : {}),
        schema: {
          tags: [...route.tags],
          description: route.description,
          ...(route.hidden ? { hide: true } : {}),
          ...(access === 'public' ? {} : { security: [{ bearer: [] }] }),
          ...(route.params ? { params: route.params } : {}),
          ...(route.query ? { querystring: route.query } : {}),
          ...(headers ? { headers } : {}),
          ...(route.body ? { body: route.body } : {}),
          response: { ...route.responses, ...ERROR_RESPONSES },
        },
        ...(fast
          ? {
              serializerCompiler: () => (data: unknown) => JSON.stringify(data),
            }
          : {}),
        ...(authenticate
          ? {
              preHandler: async (request: FastifyRequest) => {
                request.principal = await authenticate(request);
              },
            }
          : {}),
        handler: async (request, reply) => {
          if (status !== 200) void reply.status(status);
          // Fastify validated params, query, headers and body against these same schemas.
          const user = request.principal?.user ?? null;
          const session = request.principal?.session ?? null;
          const bytes = Buffer.isBuffer(request.body) ? request.body : undefined;
          if (route.rawBody && request.body !== undefined && request.body !== null && !bytes) {
            // A JSON (or other parsed) body on a bytes route.
            throw (config as { rawBody: RawBodyConfig }).rawBody.wrongType();
          }
          const call = (newId: string | undefined) =>
            ({
              params: request.params,
              query: request.query,
              body: route.rawBody ? undefined : request.body,
              bytes,
              headers: request.headers,
              newId,
              user,
              session,
              request,
              reply,
            }) as RouteCall<typeof route>;
          if (route.bytesAnswer) return sendBytes(request, reply, (await handler(call(undefined))) as BytesAnswer);
          if (!keys || !user) return sendJsonAnswer(reply, await handler(call(undefined)));
          // The key store keeps the answer to replay it, as an object: a pre-serialized one is parsed.
          return keys.answer(route, request, reply, user.id, async (newId) => {
            const answer = await handler(call(newId));
            return answer instanceof JsonAnswer ? (JSON.parse(answer.bytes.toString('utf8')) as unknown) : answer;
          });
        },
      });
    },
  };
  return server;
}
