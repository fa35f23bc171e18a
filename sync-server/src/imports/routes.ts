import { Readable } from 'node:stream';
import { GatehouseError, IMPORT_LIMITS, routes, type ImportEncoding } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import { ImportService } from './service';

const IMPORT_ROUTE = routes['bookings.import'];

/** The encoding a `Content-Type: text/csv; charset=…` names, when it is one we read. */
function charsetOf(contentType: string | undefined): ImportEncoding | null {
  const charset = /charset\s*=\s*"?([\w-]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset === 'utf-8' || charset === 'utf8') return 'utf-8';
  if (charset === 'windows-1252' || charset === 'cp1252' || charset === 'iso-8859-1' || charset === 'latin1') {
    return 'windows-1252';
  }
  return null;
}

/**
 * CSV import of attendees (`POST /events/:id/imports`). The body is `text/csv`, handed to the
 * handler as the request stream itself — a content-type parser that reads nothing — so a 32 MiB
 * file is parsed as it arrives and never held whole, and the byte cap is ours (IMPORT_TOO_LARGE,
 * 413; at once when Content-Length says so). Other routes keep refusing CSV with 415.
 */
export function registerImportRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.addContentTypeParser(['text/csv', 'application/csv'], (request, payload, done) => {
    if (request.routeOptions.url !== IMPORT_ROUTE.path) {
      done(new GatehouseError('UNSUPPORTED_MEDIA_TYPE', 'Send JSON with Content-Type: application/json'), undefined);
      return;
    }
    done(null, payload);
  });
  const service = new ImportService(ctx.store, ctx.events);

  ctx.routes.serve(IMPORT_ROUTE, async ({ user, params, query, request }) => {
    const body = request.body;
    if (!(body instanceof Readable)) {
      throw new GatehouseError('UNSUPPORTED_MEDIA_TYPE', 'Send the CSV file as the body with Content-Type: text/csv');
    }
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > IMPORT_LIMITS.maxBytes) {
      throw new GatehouseError(
        'IMPORT_TOO_LARGE',
        `The file is larger than ${IMPORT_LIMITS.maxBytes / 1024 / 1024} MiB; split it into several imports`,
      );
    }
    const encoding =
      query.encoding === 'auto' ? (charsetOf(request.headers['content-type']) ?? 'auto') : query.encoding;
    try {
      return await service.run(
        user,
        params.id,
        { preset: query.preset, mapping: query.mapping, encoding, dryRun: query.dryRun, importId: query.importId },
        body as AsyncIterable<Uint8Array>,
      );
    } catch (error) {
      discardRest(body);
      throw error;
    }
  });

  ctx.routes.serve(routes['bookings.importProgress'], ({ user, params }) =>
    service.progress(user, params.id, params.importId),
  );
}

/** Bytes of a refused upload read and dropped, so its client gets to read the answer; past this the socket is cut. */
const DISCARD_MAX_BYTES = 2 * IMPORT_LIMITS.maxBytes;
/** How long a refused upload may keep sending before its connection is cut. */
const DISCARD_WAIT_MS = 5_000;

/**
 * After a refusal mid-upload: most clients read no answer until they have sent their body (and
 * see a reset, not the answer, if the socket closes under them), so the rest is read and dropped,
 * up to DISCARD_MAX_BYTES; past that the socket is cut.
 */
function discardRest(body: Readable): void {
  if (body.readableEnded || body.destroyed) return;
  let dropped = 0;
  body.removeAllListeners('data');
  body.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DISCARD_MAX_BYTES) body.destroy();
  });
  body.on('error', () => undefined);
  body.resume();
  // A client that stops sending without ending its body (it read the answer) must not hold the
  // connection open, nor a server's shutdown, for ever.
  const timer = setTimeout(() => body.destroy(), DISCARD_WAIT_MS);
  timer.unref();
  body.once('end', () => clearTimeout(timer));
}
