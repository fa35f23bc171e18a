import { randomUUID } from 'node:crypto';
import {
  DEVICE_ID_HEADER,
  type ErrorCode,
  GatehouseError,
  IDEMPOTENCY_KEY_HEADER,
  MAX_PUSH_BATCH_HEADER,
  parseMaxPushBatch,
  parseProtocolRange,
  PROTOCOL_RANGE_HEADER,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  type ProtocolRange,
  protocolMismatch,
  protocolMismatchMessage,
  routeAnswerSchema,
  routePath,
  routeQuery,
  type RouteAnswer,
  type RouteDef,
  type RouteRequest,
  routes,
  type Session,
} from '@gatehouse/protocol';
import type { z } from 'zod';
import { ACCESS_LOST, errorFromResponse, jsonAnswer, RETRY_WITH_REFRESH, SESSION_ENDING } from './answers';
import { PreparedJson, type PreparedRequest } from './prepared-json';
import * as transfers from './transfers';
import type { ExchangeOptions, FetchedBytes, Transport } from './transfers';

export { errorFromResponse } from './answers';
export type { FetchedBytes } from './transfers';

export type FetchLike = typeof fetch;

const REQUEST_TIMEOUT_MS = 20_000;

export type ApiHooks = {
  /** Every real request outcome: true after any HTTP answer, false when the server could not be reached. */
  onReachability: (reachable: boolean) => void;
  /** Device clock minus server clock (from the Date header), in ms. */
  onClockSkew: (skewMs: number) => void;
  /** The refresh token was refused: the server session is over. */
  onSessionLost: (code: ErrorCode) => void;
};

/** Where the current account's tokens live: access in memory, refresh in the TokenStore. */
export interface SessionTokens {
  accessToken(): string | null;
  refreshToken(): Promise<string | null>;
  /** Must persist the refresh token before resolving: rotation makes the old one useless. */
  store(session: { accessToken: string; refreshToken: string }): Promise<void>;
  clear(): Promise<void>;
}

/** HTTP to the sync server: device id header, bearer token, one refresh-and-retry on an expired token. */
export class ServerApi {
  private refreshing: Promise<void> | null = null;
  /** The protocol versions the server accepts, from its latest answer; null until one arrives. */
  private serverRange: ProtocolRange | null = null;
  /** The push limit the server states (MAX_PUSH_BATCH_HEADER) in its latest answer; null: none stated. */
  private statedMaxPushBatch: number | null = null;
  /** What the byte and stream transfers (transfers.ts) reach the server through. */
  private readonly transport: Transport = {
    exchange: (method, path, options) => this.exchange(method, path, options),
    sendOnce: (method, path, options) => this.send(method, path, options),
    answered: (work) => this.answered(work),
  };

  constructor(
    readonly serverUrl: string,
    private readonly deviceId: string,
    private readonly tokens: SessionTokens | null,
    private readonly hooks: ApiHooks,
    private readonly fetchImpl: FetchLike = fetch,
    private readonly now: () => number = Date.now,
    /** The protocol version this device speaks (protocol/src/version.ts); tests play older and newer devices. */
    private readonly protocolVersion: number = PROTOCOL_VERSION,
  ) {}

  /** Sign in with a password; used before any account store exists. */
  static async login(
    serverUrl: string,
    deviceId: string,
    credentials: { email: string; password: string },
    fetchImpl: FetchLike,
    protocolVersion: number = PROTOCOL_VERSION,
  ): Promise<Session> {
    const api = new ServerApi(
      serverUrl,
      deviceId,
      null,
      { onReachability() {}, onClockSkew() {}, onSessionLost() {} },
      fetchImpl,
      Date.now,
      protocolVersion,
    );
    return api.call(routes['auth.login'], { body: credentials });
  }

  /**
   * Calls a route of the protocol's table (`routes`): the path is built from its params (each
   * URI-encoded), the query and body are typed by its schemas, and the answer is checked against
   * its success schemas — or against `answer`, a looser schema for a hot path whose parts the
   * caller checks itself. The body may come already encoded (`PreparedJson`, the push lane's next
   * batch), sent as it is. A route that creates (`idempotent`) is sent with an Idempotency-Key —
   * `idempotencyKey`, or one drawn for this call — that every attempt of the call repeats: the
   * resend after a token refresh, and one resend when the answer was lost (OFFLINE), which the
   * server answers with the first answer instead of creating twice. Throws GatehouseError: the
   * server's code, OFFLINE, or INTERNAL for an answer that does not match.
   */
  call<R extends RouteDef, A = RouteAnswer<R>>(
    route: R,
    input: RouteRequest<R> | PreparedRequest<R>,
    options: { timeoutMs?: number; answer?: z.ZodType<A>; idempotencyKey?: string } = {},
  ): Promise<A> {
    const path = routePath(route, input.params) + routeQuery(input.query);
    const schema = options.answer ?? (routeAnswerSchema(route) as unknown as z.ZodType<A>);
    const body: unknown = input.body;
    const payload =
      body === undefined
        ? {}
        : body instanceof PreparedJson
          ? { payload: { bytes: body.bytes, contentType: 'application/json' } }
          : { payload: { json: body } };
    return this.answered(async () => {
      const response = await this.exchange(route.method, path, {
        ...payload,
        auth: route.access !== 'public',
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(route.idempotent ? { idempotencyKey: options.idempotencyKey ?? randomUUID() } : {}),
      });
      return jsonAnswer(response, schema, path);
    });
  }

  /** A file answer (a CSV export), handed to `save` unread as it arrives (transfers.ts `download`). */
  download<R extends RouteDef, T>(
    route: R,
    input: RouteRequest<R>,
    save: (response: Response) => Promise<T>,
    options: { timeoutMs?: number } = {},
  ): Promise<T> {
    return transfers.download(this.transport, route, input, save, options);
  }

  /** Image bytes to a `rawBody` route, its JSON answer checked (transfers.ts `sendBytes`). */
  sendBytes<R extends RouteDef & { rawBody: object }>(
    route: R,
    input: Pick<RouteRequest<R>, 'params'>,
    bytes: Uint8Array,
    contentType: string,
  ): Promise<RouteAnswer<R>> {
    return transfers.sendBytes(this.transport, route, input, bytes, contentType);
  }

  /** A `bytesAnswer` route's bytes, 304 and 404 read as such (transfers.ts `fetchBytes`). */
  fetchBytes<R extends RouteDef & { bytesAnswer: object }>(
    route: R,
    input: Pick<RouteRequest<R>, 'params'>,
    options: { ifNoneMatch?: string } = {},
  ): Promise<FetchedBytes | null> {
    return transfers.fetchBytes(this.transport, route, input, options);
  }

  /** A stream as the body of a file route, sent once (transfers.ts `upload`). */
  upload<R extends RouteDef>(
    route: R,
    input: RouteRequest<R>,
    stream: ReadableStream<Uint8Array>,
    options: { contentType: string; timeoutMs: number },
  ): Promise<RouteAnswer<R>> {
    return transfers.upload(this.transport, route, input, stream, options);
  }

  /**
   * The one check every request's outcome goes through, whatever its body or answer: a refusal
   * that ends this device's access (ACCESS_LOST: the device revoked, the account disabled) clears
   * the tokens and tells the core (onSessionLost), which saves the outbox and wipes. A session
   * ended elsewhere is read by the refresh it causes (doRefresh).
   */
  private async answered<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof GatehouseError && ACCESS_LOST.has(error.code) && this.tokens) {
        await this.tokens.clear();
        this.hooks.onSessionLost(error.code);
      }
      throw error;
    }
  }

  /**
   * The most mutations the server said it takes in one push (its latest answer's
   * MAX_PUSH_BATCH_HEADER); null before an answer, or from a server from before the header.
   */
  get maxPushBatch(): number | null {
    return this.statedMaxPushBatch;
  }

  /**
   * Makes sure the server's protocol range is known before anything is pushed: asks `/health` when
   * no answer has said it yet, or the last one left this device out (the server may have been
   * updated since). A server too old to refuse a newer device itself (one from before versions)
   * would otherwise apply what it can of a push and store refusals for the rest.
   * Throws PROTOCOL_UNSUPPORTED (nothing sent) or OFFLINE.
   */
  async ensureCompatible(): Promise<void> {
    if (this.serverRange && !protocolMismatch(this.protocolVersion, this.serverRange)) return;
    // Unknown, or not compatible when last heard: ask again, the server may have been updated since.
    await this.call(routes['health.live'], {});
  }

  /**
   * Follows a paged list route (`{items, nextCursor}`) to its end, `limit` items a page, and
   * answers every item — at most `maxPages` pages (10,000 items by default, more than an admin
   * screen can show), so a server that keeps answering a cursor cannot keep it paging forever.
   */
  async callAllPages<R extends RouteDef, T>(
    route: R & { responses: { 200: z.ZodType<{ items: T[]; nextCursor: string | null }> } },
    input: RouteRequest<R>,
    options: { limit?: number; maxPages?: number } = {},
  ): Promise<T[]> {
    const { limit = 200, maxPages = 50 } = options;
    const items: T[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const query = { ...(input.query ?? {}), limit, ...(cursor ? { cursor } : {}) };
      const answer = (await this.call(route, { ...input, query } as RouteRequest<R>)) as {
        items: T[];
        nextCursor: string | null;
      };
      items.push(...answer.items);
      cursor = answer.nextCursor;
      if (!cursor) break;
    }
    return items;
  }

  /** One request with its retries: the resend of an idempotent call whose answer was lost, and one after a token refresh. */
  private async exchange(method: string, path: string, options: ExchangeOptions): Promise<Response> {
    const { auth, idempotencyKey } = options;
    const attempt = async () => {
      const sent = () => this.send(method, path, options);
      if (idempotencyKey === undefined) return sent();
      // Only a request the server recognises by its key is safe to send again when its answer is lost.
      return sent().catch((error: unknown) => {
        if (error instanceof GatehouseError && error.code === 'OFFLINE') return sent();
        throw error;
      });
    };
    let response = await attempt();
    if (auth && response.status === 401) {
      const error = await errorFromResponse(response);
      if (!RETRY_WITH_REFRESH.has(error.code)) throw error;
      await this.refresh();
      response = await attempt();
    }
    return response;
  }

  /** One request, sent once: headers, bearer token, the protocol check and the clock skew of its answer. */
  private async send(method: string, path: string, options: ExchangeOptions): Promise<Response> {
    const { payload, auth, timeoutMs = REQUEST_TIMEOUT_MS, idempotencyKey } = options;
    const headers: Record<string, string> = {
      ...options.headers,
      [DEVICE_ID_HEADER]: this.deviceId,
      [PROTOCOL_VERSION_HEADER]: String(this.protocolVersion),
    };
    if (idempotencyKey !== undefined) headers[IDEMPOTENCY_KEY_HEADER] = idempotencyKey;
    let body: string | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | undefined;
    if (payload && 'bytes' in payload) {
      headers['content-type'] = payload.contentType;
      // fetch copies a view's bytes anyway: one more copy only when the type demands it.
      body =
        payload.bytes.buffer instanceof ArrayBuffer
          ? (payload.bytes as Uint8Array<ArrayBuffer>)
          : new Uint8Array(payload.bytes);
    } else if (payload && 'stream' in payload) {
      headers['content-type'] = payload.contentType;
      body = payload.stream;
    } else if (payload) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(payload.json);
    }
    if (auth) {
      const token = this.tokens?.accessToken() ?? null;
      if (!token) await this.refresh();
      headers.authorization = `Bearer ${this.tokens?.accessToken() ?? ''}`;
    }
    const started = this.now();
    let response: Response;
    try {
      response = await this.fetchImpl(this.serverUrl + path, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
        // A streamed body (fetch requires saying so).
        ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      this.hooks.onReachability(false);
      throw new GatehouseError('OFFLINE', `Cannot reach the server (${(error as Error).message})`);
    }
    this.hooks.onReachability(true);
    // A server whose range leaves this device out gets nothing from it (it could not read it); the
    // outbox stays as it is. A server from before versions sends no range and speaks version 1.
    // No range on an error answer says nothing about the server's version: a server closing or
    // starting answers 503 before its hooks run. Only a served answer without one is a server from
    // before versions.
    const header = response.headers.get(PROTOCOL_RANGE_HEADER);
    const range = header === null && !response.ok ? null : parseProtocolRange(header);
    if (range) {
      this.serverRange = range;
      // Read with the range: an answer the server's hooks did not make (a 503 while it starts) says nothing.
      this.statedMaxPushBatch = parseMaxPushBatch(response.headers.get(MAX_PUSH_BATCH_HEADER));
    }
    const side = range ? protocolMismatch(this.protocolVersion, range) : null;
    if (range && side) {
      throw new GatehouseError('PROTOCOL_UNSUPPORTED', protocolMismatchMessage(side, this.protocolVersion, range));
    }
    const date = response.headers.get('date');
    if (date) {
      // The Date header has one-second resolution: compare against the request's midpoint, rounded.
      const midpoint = (started + this.now()) / 2;
      this.hooks.onClockSkew(Math.round((midpoint - (Date.parse(date) + 500)) / 1000) * 1000);
    }
    return response;
  }

  /** Single-flight rotation; the new refresh token is stored before the new access token is used. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const refreshToken = await this.tokens?.refreshToken();
    if (!this.tokens || !refreshToken) {
      throw new GatehouseError('UNAUTHENTICATED', 'Not signed in to the server; sign in online to sync');
    }
    const route = routes['auth.refresh'];
    const response = await this.send(route.method, route.path, {
      payload: { json: { refreshToken } satisfies RouteRequest<typeof route>['body'] },
      auth: false,
    });
    if (!response.ok) {
      const error = await errorFromResponse(response);
      if (SESSION_ENDING.has(error.code) || response.status === 401) {
        await this.tokens.clear();
        this.hooks.onSessionLost(error.code);
        throw new GatehouseError('UNAUTHENTICATED', `The server ended this session (${error.code}); sign in again`);
      }
      throw error;
    }
    const session = routeAnswerSchema(route).parse(await response.json());
    await this.tokens.store(session);
  }
}
