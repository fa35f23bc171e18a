import { randomUUID } from 'node:crypto';
import {
  DEVICE_ID_HEADER,
  ERROR_CODES,
  type ErrorCode,
  errorDetailsSchema,
  GatehouseError,
  IDEMPOTENCY_KEY_HEADER,
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

export type FetchLike = typeof fetch;

/** Refresh outcomes that end the server session (keep local data and outbox; the user signs in again). */
const SESSION_ENDING = new Set<ErrorCode>([
  'REFRESH_TOKEN_INVALID',
  'REFRESH_TOKEN_REUSED',
  'ACCOUNT_DISABLED',
  'DEVICE_REVOKED',
]);
/** Answers to any call after which the device may not go on: the core saves the outbox and wipes. */
const ACCESS_LOST = new Set<ErrorCode>(['ACCOUNT_DISABLED', 'DEVICE_REVOKED']);
const RETRY_WITH_REFRESH = new Set<ErrorCode>(['TOKEN_EXPIRED', 'TOKEN_INVALID', 'UNAUTHENTICATED', 'SESSION_ENDED']);
const REQUEST_TIMEOUT_MS = 20_000;
/** An upload of up to 5 MB, or a photo's download, on a slow venue line. */
const BYTES_TIMEOUT_MS = 60_000;

/** A request body: JSON, or bytes with their type (an image upload). */
type Payload = { json: unknown } | { bytes: Uint8Array; contentType: string };

/** A `bytesAnswer` route's answer: the bytes with their validators, or "what you hold is current". */
export type FetchedBytes =
  { notModified: false; bytes: Uint8Array; contentType: string; etag: string } | { notModified: true; etag: string };

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

/**
 * The answer's stable code; an answer without one (a proxy's page, a server shutting down) is
 * named by its status, so a 503 reads as the outage it is rather than as a bug.
 */
function toErrorCode(code: unknown, status: number): ErrorCode {
  if (typeof code === 'string' && (ERROR_CODES as string[]).includes(code)) return code as ErrorCode;
  if (status === 503 || status === 502 || status === 504) return 'SERVICE_UNAVAILABLE';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 401) return 'UNAUTHENTICATED';
  return 'INTERNAL';
}

export async function errorFromResponse(response: Response): Promise<GatehouseError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const message = typeof error?.message === 'string' ? error.message : `Server answered ${response.status}`;
  // The server's details name the input at fault; a form marks those fields, so they are kept.
  const details = errorDetailsSchema.safeParse(error?.details);
  return new GatehouseError(
    toErrorCode(error?.code, response.status),
    message,
    details.success && details.data.length > 0 ? details.data : undefined,
  );
}

/** HTTP to the sync server: device id header, bearer token, one refresh-and-retry on an expired token. */
export class ServerApi {
  private refreshing: Promise<void> | null = null;
  /** The protocol versions the server accepts, from its latest answer; null until one arrives. */
  private serverRange: ProtocolRange | null = null;

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
   * caller checks itself. A route that creates (`idempotent`) is sent with an Idempotency-Key —
   * `idempotencyKey`, or one drawn for this call — that every attempt of the call repeats: the
   * resend after a token refresh, and one resend when the answer was lost (OFFLINE), which the
   * server answers with the first answer instead of creating twice. Throws GatehouseError: the
   * server's code, OFFLINE, or INTERNAL for an answer that does not match.
   */
  call<R extends RouteDef, A = RouteAnswer<R>>(
    route: R,
    input: RouteRequest<R>,
    options: { timeoutMs?: number; answer?: z.ZodType<A>; idempotencyKey?: string } = {},
  ): Promise<A> {
    const path = routePath(route, input.params) + routeQuery(input.query);
    return this.request(route.method, path, {
      body: input.body,
      auth: route.access !== 'public',
      schema: options.answer ?? (routeAnswerSchema(route) as unknown as z.ZodType<A>),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(route.idempotent ? { idempotencyKey: options.idempotencyKey ?? randomUUID() } : {}),
    }).catch(async (error: unknown) => {
      if (error instanceof GatehouseError && ACCESS_LOST.has(error.code) && this.tokens) {
        await this.tokens.clear();
        this.hooks.onSessionLost(error.code);
      }
      throw error;
    });
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

  /**
   * Sends image bytes to a `rawBody` route (a photo upload) and checks its JSON answer like `call`.
   * Throws GatehouseError: the server's code (IMAGE_TOO_LARGE, IMAGE_TYPE_UNSUPPORTED, …), OFFLINE.
   */
  async sendBytes<R extends RouteDef & { rawBody: object }>(
    route: R,
    input: Pick<RouteRequest<R>, 'params'>,
    bytes: Uint8Array,
    contentType: string,
  ): Promise<RouteAnswer<R>> {
    const response = await this.exchange(route.method, routePath(route, input.params), {
      payload: { bytes, contentType },
      auth: route.access !== 'public',
      timeoutMs: BYTES_TIMEOUT_MS,
    });
    if (!response.ok) throw await errorFromResponse(response);
    const parsed = routeAnswerSchema(route).safeParse(await response.json());
    if (!parsed.success) throw new GatehouseError('INTERNAL', `Unexpected answer from the server for ${route.path}`);
    return parsed.data;
  }

  /**
   * Fetches a `bytesAnswer` route (a photo): its bytes, type and ETag; `notModified` when the server
   * says the `ifNoneMatch` ETag is still current; null when there is none (NOT_FOUND). Throws
   * GatehouseError for any other refusal, OFFLINE when the server cannot be reached.
   */
  async fetchBytes<R extends RouteDef & { bytesAnswer: object }>(
    route: R,
    input: Pick<RouteRequest<R>, 'params'>,
    options: { ifNoneMatch?: string } = {},
  ): Promise<FetchedBytes | null> {
    const response = await this.exchange(route.method, routePath(route, input.params), {
      auth: route.access !== 'public',
      timeoutMs: BYTES_TIMEOUT_MS,
      ...(options.ifNoneMatch ? { headers: { 'if-none-match': options.ifNoneMatch } } : {}),
    });
    if (response.status === 304) return { notModified: true, etag: response.headers.get('etag') ?? '' };
    if (response.status === 404) return null;
    if (!response.ok) throw await errorFromResponse(response);
    return {
      notModified: false,
      bytes: new Uint8Array(await response.arrayBuffer()),
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      etag: response.headers.get('etag') ?? '',
    };
  }

  private async request<S extends z.ZodType>(
    method: string,
    path: string,
    options: { body?: unknown; auth?: boolean; schema: S; timeoutMs?: number; idempotencyKey?: string },
  ): Promise<z.infer<S>> {
    const response = await this.exchange(method, path, {
      ...(options.body === undefined ? {} : { payload: { json: options.body } }),
      auth: options.auth ?? true,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    });
    if (!response.ok) throw await errorFromResponse(response);
    const parsed = options.schema.safeParse(await response.json());
    if (!parsed.success) throw new GatehouseError('INTERNAL', `Unexpected answer from the server for ${path}`);
    return parsed.data;
  }

  /** One request with its retries: the resend of an idempotent call whose answer was lost, and one after a token refresh. */
  private async exchange(
    method: string,
    path: string,
    options: {
      payload?: Payload;
      auth: boolean;
      timeoutMs?: number;
      idempotencyKey?: string;
      headers?: Record<string, string>;
    },
  ): Promise<Response> {
    const { auth, idempotencyKey } = options;
    const attempt = async () => {
      const sent = () =>
        this.send(method, path, options.payload, auth, options.timeoutMs, idempotencyKey, options.headers);
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

  private async send(
    method: string,
    path: string,
    payload: Payload | undefined,
    auth: boolean,
    timeoutMs = REQUEST_TIMEOUT_MS,
    idempotencyKey?: string,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {
      ...extraHeaders,
      [DEVICE_ID_HEADER]: this.deviceId,
      [PROTOCOL_VERSION_HEADER]: String(this.protocolVersion),
    };
    if (idempotencyKey !== undefined) headers[IDEMPOTENCY_KEY_HEADER] = idempotencyKey;
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (payload && 'bytes' in payload) {
      headers['content-type'] = payload.contentType;
      body = new Uint8Array(payload.bytes);
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
      });
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
    if (range) this.serverRange = range;
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
    const response = await this.send(
      route.method,
      route.path,
      { json: { refreshToken } satisfies RouteRequest<typeof route>['body'] },
      false,
    );
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
