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
   * Fetches the bytes a `bytesAnswer` route answers (an image), with the same device id, token
   * refresh and error codes as `call`. With `ifNoneMatch` (an ETag held) an unchanged answer is
   * `{ notModified: true }` (304), nothing downloaded. Throws GatehouseError: the server's code
   * (NOT_FOUND when there is nothing to fetch), OFFLINE.
   */
  async fetchBytes<R extends RouteDef>(
    route: R,
    input: RouteRequest<R>,
    options: { ifNoneMatch?: string; timeoutMs?: number } = {},
  ): Promise<
    { notModified: true } | { notModified: false; bytes: Buffer; etag: string | null; contentType: string | null }
  > {
    const path = routePath(route, input.params) + routeQuery(input.query);
    const headers = options.ifNoneMatch === undefined ? undefined : { 'if-none-match': options.ifNoneMatch };
    const auth = route.access !== 'public';
    const attempt = () => this.send(route.method, path, undefined, auth, options.timeoutMs, undefined, headers);
    let response = await attempt();
    if (auth && response.status === 401) {
      const error = await errorFromResponse(response);
      if (!RETRY_WITH_REFRESH.has(error.code)) throw error;
      await this.refresh();
      response = await attempt();
    }
    if (response.status === 304) return { notModified: true };
    if (!response.ok) {
      const error = await errorFromResponse(response);
      if (ACCESS_LOST.has(error.code) && this.tokens) {
        await this.tokens.clear();
        this.hooks.onSessionLost(error.code);
      }
      throw error;
    }
    return {
      notModified: false,
      bytes: Buffer.from(await response.arrayBuffer()),
      etag: response.headers.get('etag'),
      contentType: response.headers.get('content-type'),
    };
  }

  private async request<S extends z.ZodType>(
    method: string,
    path: string,
    options: { body?: unknown; auth?: boolean; schema: S; timeoutMs?: number; idempotencyKey?: string },
  ): Promise<z.infer<S>> {
    const auth = options.auth ?? true;
    const { idempotencyKey } = options;
    const attempt = async () => {
      const sent = () => this.send(method, path, options.body, auth, options.timeoutMs, idempotencyKey);
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
    if (!response.ok) throw await errorFromResponse(response);
    const parsed = options.schema.safeParse(await response.json());
    if (!parsed.success) throw new GatehouseError('INTERNAL', `Unexpected answer from the server for ${path}`);
    return parsed.data;
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    auth: boolean,
    timeoutMs = REQUEST_TIMEOUT_MS,
    idempotencyKey?: string,
    extraHeaders?: Record<string, string>,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      ...extraHeaders,
      [DEVICE_ID_HEADER]: this.deviceId,
      [PROTOCOL_VERSION_HEADER]: String(this.protocolVersion),
    };
    if (idempotencyKey !== undefined) headers[IDEMPOTENCY_KEY_HEADER] = idempotencyKey;
    if (body !== undefined) headers['content-type'] = 'application/json';
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
        body: body === undefined ? undefined : JSON.stringify(body),
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
      { refreshToken } satisfies RouteRequest<typeof route>['body'],
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
