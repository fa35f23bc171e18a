import {
  type RouteAnswer,
  routeAnswerSchema,
  type RouteDef,
  routePath,
  routeQuery,
  type RouteRequest,
} from '@gatehouse/protocol';
import { expectOk, jsonAnswer } from './answers';

/**
 * The ServerApi's requests whose body or answer is not JSON held in memory: photo bytes up and
 * down, a CSV streamed up, an export streamed down. ServerApi exposes each under the same name
 * (`sendBytes`, `fetchBytes`, `upload`, `download`); they reach the server through its
 * `Transport`, so each gets the same token refresh, protocol check and — through `answered` — the
 * same reading of an access-lost answer as a JSON `call`.
 */

/** A request body: JSON, bytes in memory (a photo), or a stream sent as it is read (a CSV import). */
export type Payload =
  | { json: unknown }
  | { bytes: Uint8Array; contentType: string }
  | { stream: ReadableStream<Uint8Array>; contentType: string };

export type ExchangeOptions = {
  payload?: Payload;
  auth: boolean;
  timeoutMs?: number;
  idempotencyKey?: string;
  headers?: Record<string, string>;
};

/** What the transfers need of ServerApi. */
export interface Transport {
  /** One request with its token refresh and resend (ServerApi.exchange). */
  exchange(method: string, path: string, options: ExchangeOptions): Promise<Response>;
  /** One request, sent once: no refresh, no resend (a stream can be read only once). */
  sendOnce(method: string, path: string, options: ExchangeOptions): Promise<Response>;
  /** The one answer check every request goes through: an access-lost refusal ends the session. */
  answered<T>(work: () => Promise<T>): Promise<T>;
}

/** A `bytesAnswer` route's answer: the bytes with their validators, or "what you hold is current". */
export type FetchedBytes =
  { notModified: false; bytes: Uint8Array; contentType: string; etag: string } | { notModified: true; etag: string };

/** An upload of up to 5 MB, or a photo's download, on a slow venue line. */
const BYTES_TIMEOUT_MS = 60_000;
/** A file download (an export) may take long for a large event; it still ends. */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/**
 * Calls a route whose answer is a file (a CSV export) rather than JSON: as `call` — token
 * refresh, error codes, access loss — but a successful answer is handed to `save` as it arrives,
 * unread. `timeoutMs` bounds the whole transfer (default 10 minutes: a large event's export).
 */
export function download<R extends RouteDef, T>(
  transport: Transport,
  route: R,
  input: RouteRequest<R>,
  save: (response: Response) => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const path = routePath(route, input.params) + routeQuery(input.query);
  return transport.answered(async () => {
    const response = await transport.exchange(route.method, path, {
      auth: route.access !== 'public',
      timeoutMs: options.timeoutMs ?? DOWNLOAD_TIMEOUT_MS,
    });
    return save(await expectOk(response));
  });
}

/**
 * Sends image bytes to a `rawBody` route (a photo upload) and checks its JSON answer like `call`.
 * Throws GatehouseError: the server's code (IMAGE_TOO_LARGE, IMAGE_TYPE_UNSUPPORTED, …), OFFLINE.
 */
export function sendBytes<R extends RouteDef & { rawBody: object }>(
  transport: Transport,
  route: R,
  input: Pick<RouteRequest<R>, 'params'>,
  bytes: Uint8Array,
  contentType: string,
): Promise<RouteAnswer<R>> {
  return transport.answered(async () => {
    const response = await transport.exchange(route.method, routePath(route, input.params), {
      payload: { bytes, contentType },
      auth: route.access !== 'public',
      timeoutMs: BYTES_TIMEOUT_MS,
    });
    return jsonAnswer(response, routeAnswerSchema(route), route.path) as Promise<RouteAnswer<R>>;
  });
}

/**
 * Fetches a `bytesAnswer` route (a photo): its bytes, type and ETag; `notModified` when the server
 * says the `ifNoneMatch` ETag is still current; null when there is none (NOT_FOUND). Throws
 * GatehouseError for any other refusal, OFFLINE when the server cannot be reached.
 */
export function fetchBytes<R extends RouteDef & { bytesAnswer: object }>(
  transport: Transport,
  route: R,
  input: Pick<RouteRequest<R>, 'params'>,
  options: { ifNoneMatch?: string } = {},
): Promise<FetchedBytes | null> {
  return transport.answered(async () => {
    const response = await transport.exchange(route.method, routePath(route, input.params), {
      auth: route.access !== 'public',
      timeoutMs: BYTES_TIMEOUT_MS,
      ...(options.ifNoneMatch ? { headers: { 'if-none-match': options.ifNoneMatch } } : {}),
    });
    if (response.status === 304) return { notModified: true, etag: response.headers.get('etag') ?? '' };
    if (response.status === 404) return null;
    await expectOk(response);
    return {
      notModified: false,
      bytes: new Uint8Array(await response.arrayBuffer()),
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      etag: response.headers.get('etag') ?? '',
    };
  });
}

/**
 * Sends `stream` as the body of a route that takes a file (the CSV import, `text/csv`) and
 * checks the answer like `call`. Never resent — a stream is read once — so the caller first
 * makes any `call`, which refreshes an expired token. Throws as `call` does.
 */
export function upload<R extends RouteDef>(
  transport: Transport,
  route: R,
  input: RouteRequest<R>,
  stream: ReadableStream<Uint8Array>,
  options: { contentType: string; timeoutMs: number },
): Promise<RouteAnswer<R>> {
  const path = routePath(route, input.params) + routeQuery(input.query);
  return transport.answered(async () => {
    const response = await transport.sendOnce(route.method, path, {
      payload: { stream, contentType: options.contentType },
      auth: true,
      timeoutMs: options.timeoutMs,
    });
    return jsonAnswer(response, routeAnswerSchema(route), path) as Promise<RouteAnswer<R>>;
  });
}
