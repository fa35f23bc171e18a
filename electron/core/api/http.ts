import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';

/**
 * What the ServerApi reads of an HTTP answer: the part of fetch's `Response` it uses, so that
 * `fetch` itself (or a test's wrapper around it) still fits where a FetchLike is asked for.
 */
export interface HttpAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** The body as a stream (an export saved to disk); null when there is none. Read it, or json/arrayBuffer, once. */
  readonly body: ReadableStream<Uint8Array> | null;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** One request as the ServerApi makes it: a method, headers, an optional body and the signal that ends it. */
export type HttpRequest = {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>;
  signal?: AbortSignal;
  /** fetch wants this for a streamed body; the default transport ignores it. */
  duplex?: 'half';
};

/** How the ServerApi sends a request: `httpFetch` by default, `fetch` or a wrapper of it in tests. */
export type FetchLike = (url: string, init: HttpRequest) => Promise<HttpAnswer>;

/**
 * Answers up to this size with a Content-Length are read whole before they are handed over, so an
 * answer the caller does not read (a 304, a refusal thrown on its status) never holds the
 * connection. Larger or unsized answers (an export streamed to disk) are handed over unread.
 */
const READ_WHOLE_MAX_BYTES = 64 * 2 ** 20;

function headerReader(headers: IncomingHttpHeaders): HttpAnswer['headers'] {
  return {
    get(name) {
      const value = headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/** An answer read whole: its bytes, handed out once as JSON, bytes or a stream. */
class ReadAnswer implements HttpAnswer {
  readonly ok: boolean;
  readonly headers: HttpAnswer['headers'];
  private bytes: Buffer | null;

  constructor(
    readonly status: number,
    headers: IncomingHttpHeaders,
    bytes: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = headerReader(headers);
    this.bytes = bytes;
  }

  private take(): Buffer {
    const { bytes } = this;
    if (!bytes) throw new TypeError('Body is unusable: it has already been read');
    this.bytes = null;
    return bytes;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (!this.bytes || this.bytes.length === 0) return null;
    return Readable.toWeb(Readable.from([this.take()])) as ReadableStream<Uint8Array>;
  }

  json(): Promise<unknown> {
    try {
      return Promise.resolve(JSON.parse(this.take().toString('utf8')));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    try {
      const bytes = this.take();
      return Promise.resolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}

/** An answer handed over unread (large or unsized): its body is read from the connection as the caller reads it. */
class StreamedAnswer implements HttpAnswer {
  readonly ok: boolean;
  readonly headers: HttpAnswer['headers'];
  readonly status: number;

  constructor(private readonly stream: IncomingMessage) {
    this.status = stream.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = headerReader(stream.headers);
  }

  get body(): ReadableStream<Uint8Array> {
    return Readable.toWeb(this.stream) as ReadableStream<Uint8Array>;
  }

  async json(): Promise<unknown> {
    return JSON.parse((await readAll(this.stream)).toString('utf8'));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await readAll(this.stream);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
}

/** The whole of a body; rejects when the connection or the request's signal ends it first. */
async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  // An answer cut short (the server gone, the signal) ends its body early without an error.
  if (!stream.complete) throw new Error('The connection closed before the answer was complete');
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * The ServerApi's default transport: Node's own HTTP client on a keep-alive pool, with the answer
 * wrapped as an HttpAnswer. Node's `fetch` builds WHATWG streams, headers and objects around every
 * request and answer: about 0.95 ms of CPU a small request here against 0.4 ms, and ~22 MB of
 * resident memory once loaded against ~7 MB (two-process micro-benchmarks, 2026-12-02) — paid by
 * a device on every push and pull, a poke's pull being on the path of a check-in reaching the
 * other gates, and the memory in an initial sync's peak (#15).
 * Rejects like fetch when the server cannot be reached or the signal ends the request.
 */
export const httpFetch: FetchLike = httpTransport();

/**
 * An HTTP transport with its own keep-alive pools, one per scheme, as fetch keeps one (a device
 * talks to one server, again and again). `maxSockets` caps the connections to one server
 * (unlimited by default; tests use 1 to show an answer never holds its connection).
 */
export function httpTransport(options: { maxSockets?: number } = {}): FetchLike {
  const agents = {
    http: new http.Agent({ keepAlive: true, ...options }),
    https: new https.Agent({ keepAlive: true, ...options }),
  };
  return (url, init) => send(url, init, agents);
}

function send(url: string, init: HttpRequest, agents: { http: http.Agent; https: https.Agent }): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const { body } = init;
    const headers: Record<string, string> = { ...init.headers };
    if (typeof body === 'string' || body instanceof Uint8Array) {
      headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    }
    const request = (secure ? https : http).request(
      target,
      {
        method: init.method,
        headers,
        agent: secure ? agents.https : agents.http,
        ...(init.signal ? { signal: init.signal } : {}),
      },
      (response) => {
        // A 204 or a 304 has no body, whatever it says of its length.
        const bodiless = response.statusCode === 204 || response.statusCode === 304;
        const length = bodiless ? 0 : Number(response.headers['content-length']);
        if (!Number.isFinite(length) || length > READ_WHOLE_MAX_BYTES) {
          resolve(new StreamedAnswer(response));
          return;
        }
        readAll(response).then(
          (bytes) => resolve(new ReadAnswer(response.statusCode ?? 0, response.headers, bytes)),
          reject,
        );
      },
    );
    request.on('error', reject);
    if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) {
      request.end(body);
      return;
    }
    pipeline(Readable.fromWeb(body as NodeWebStream<Uint8Array>), request).catch(reject);
  });
}
