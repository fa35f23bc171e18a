import { GatehouseError } from '@gatehouse/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Bodies that are bytes, not JSON (protocol routing's `rawBody`: image uploads), and answers that
 * are bytes (`bytesAnswer`: photos).
 */

/** What a rawBody route keeps in its Fastify config, for the parser and the error handler to read. */
export type RawBodyConfig = {
  maxBytes: number;
  /** The Content-Types the route takes (protocol routing's `rawBody.mediaTypes`), for its OpenAPI entry. */
  mediaTypes: readonly string[];
  /** The refusal of a body over `maxBytes` (e.g. IMAGE_TOO_LARGE). */
  tooLarge: () => GatehouseError;
  /** The refusal of a body with a Content-Type the route does not take (e.g. IMAGE_TYPE_UNSUPPORTED). */
  wrongType: () => GatehouseError;
};

/**
 * How far past the limit an oversized body is still read (and thrown away) before the connection
 * is cut: reading it lets the client receive the 413 instead of a reset mid-upload, and the bound
 * keeps a client from streaming forever.
 */
const DRAIN_FACTOR = 4;

/** The Content-Types read as raw bytes: any image type and octet-stream; the route's handler judges the bytes. */
const RAW_TYPES = /^(image\/[\w.+-]+|application\/octet-stream)\s*(;|$)/i;

/**
 * A route's OpenAPI schema with its raw body documented: `consumes` lists the media types and the
 * body is binary. Applied by the swagger transform only (app.ts) — Fastify never validates a byte
 * body against a schema; the route's handler judges the bytes.
 */
export function documentRawBody<T extends { schema: object }>(transformed: T, config: unknown): T {
  const rawBody = (config as { rawBody?: RawBodyConfig } | undefined)?.rawBody;
  if (!rawBody) return transformed;
  return {
    ...transformed,
    schema: {
      ...transformed.schema,
      consumes: [...rawBody.mediaTypes],
      body: {
        type: 'string',
        format: 'binary',
        description: `The bytes, at most ${rawBody.maxBytes} (${rawBody.mediaTypes.join(', ')})`,
      },
    },
  };
}

export function rawBodyConfigOf(request: FastifyRequest): RawBodyConfig | undefined {
  return (request.routeOptions.config as { rawBody?: RawBodyConfig } | undefined)?.rawBody;
}

/**
 * Registers the raw-bytes parser once for the app. On a route without `rawBody` such a body is
 * refused as UNSUPPORTED_MEDIA_TYPE (those routes take JSON); on a rawBody route it is read up to
 * the route's `maxBytes` into a Buffer, and a longer one is refused with the route's `tooLarge`.
 */
export function registerRawBodyParser(app: FastifyInstance): void {
  app.addContentTypeParser(RAW_TYPES, (request, payload, done) => {
    const config = rawBodyConfigOf(request);
    if (!config) {
      payload.resume();
      done(new GatehouseError('UNSUPPORTED_MEDIA_TYPE', 'Send JSON with Content-Type: application/json'), undefined);
      return;
    }
    const parts: Buffer[] = [];
    let length = 0;
    let finished = false;
    const finish = (error: Error | null, body?: Buffer) => {
      if (finished) return;
      finished = true;
      done(error, body);
    };
    payload.on('data', (part: Buffer) => {
      length += part.length;
      if (length <= config.maxBytes) parts.push(part);
      else if (parts.length > 0) parts.length = 0;
      if (length > config.maxBytes * DRAIN_FACTOR) {
        finish(config.tooLarge());
        payload.destroy();
      }
    });
    payload.on('end', () => finish(length > config.maxBytes ? config.tooLarge() : null, Buffer.concat(parts, length)));
    payload.on('error', (error) => finish(error));
  });
}

/** A bytes answer: the body, its type, its ETag (quoted) and how long a client may reuse it. */
export type BytesAnswer = { bytes: Buffer; contentType: string; etag: string; cacheControl: string };

/** Whether an If-None-Match header names this ETag (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => strip(tag) === strip(etag));
}

/** Sends bytes with their validators, or 304 with none when the client holds them already. */
export function sendBytes(request: FastifyRequest, reply: FastifyReply, answer: BytesAnswer): FastifyReply {
  void reply.header('etag', answer.etag).header('cache-control', answer.cacheControl);
  if (etagMatches(request.headers['if-none-match'], answer.etag)) return reply.code(304).send();
  return reply.code(200).type(answer.contentType).header('x-content-type-options', 'nosniff').send(answer.bytes);
}
