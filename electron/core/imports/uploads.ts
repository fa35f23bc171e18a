import { randomUUID } from 'node:crypto';
import {
  GatehouseError,
  IMPORT_LIMITS,
  routes,
  type ImportEncoding,
  type ImportMapping,
  type ImportPreset,
  type ImportProgress,
  type ImportSummary,
} from '@gatehouse/protocol';
import type { ServerApi } from '../api/client';

/** Bytes queued toward the server at most: the renderer's next chunk waits below this. */
const QUEUED_BYTES = 1024 * 1024;
/** The whole import, upload and server's work, at most (100,000 rows take well under a minute). */
const IMPORT_TIMEOUT_MS = 10 * 60_000;
/** An upload nobody sent a chunk to for this long is dropped (the screen closed mid-way). */
const IDLE_MS = 2 * 60_000;

type Upload = {
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** Resolves when the stream wants more. */
  wanted: () => Promise<void>;
  /** The server's answer; rejects with its error. */
  answer: Promise<ImportSummary>;
  /** Set once the answer failed, so chunks stop at once. */
  failure: { error: unknown } | null;
  sent: number;
  idle: ReturnType<typeof setTimeout>;
  eventId: string;
  api: ServerApi;
};

export type ImportStart = {
  eventId: string;
  size: number;
  encoding: ImportEncoding;
  preset?: ImportPreset | undefined;
  mapping?: ImportMapping | undefined;
  dryRun?: boolean | undefined;
};

/**
 * CSV imports on their way from the renderer to the server (`imports.start` / `chunk` /
 * `finish`). Each is one streamed `POST /events/:id/imports`: the renderer's chunks go into the
 * request body as they arrive, and a chunk's RPC answers only once the body's queue has room —
 * so the server's pace (it parses as it reads) paces the renderer, whose progress bar counts the
 * bytes answered. The file is never whole in core's memory either. The upload's id is also the
 * server's name for the import, under which it records rows checked and written (`progress`).
 */
export class ImportUploads {
  private readonly uploads = new Map<string, Upload>();

  /** Opens the upload; IMPORT_TOO_LARGE for a file over the limit; the server's NOT_FOUND / FORBIDDEN at once. */
  async start(api: ServerApi, input: ImportStart): Promise<string> {
    if (input.size > IMPORT_LIMITS.maxBytes) {
      throw new GatehouseError(
        'IMPORT_TOO_LARGE',
        `The file is larger than ${IMPORT_LIMITS.maxBytes / 1024 / 1024} MiB; split it into several imports`,
      );
    }
    // Any call refreshes an expired token (the upload itself cannot be resent) and finds the event.
    await api.call(routes['events.get'], { params: { id: input.eventId } });
    const importId = randomUUID();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let wake: (() => void) | null = null;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          controller = c;
        },
        pull: () => {
          wake?.();
          wake = null;
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: QUEUED_BYTES }),
    );
    const answer = api.upload(
      routes['bookings.import'],
      {
        params: { id: input.eventId },
        query: {
          encoding: input.encoding,
          ...(input.preset ? { preset: input.preset } : {}),
          ...(input.mapping ? { mapping: JSON.stringify(input.mapping) } : {}),
          ...(input.dryRun ? { dryRun: 'true' as const } : {}),
          // The server records how far it is under this name (imports.progress).
          importId,
        },
      },
      stream,
      { contentType: 'text/csv', timeoutMs: IMPORT_TIMEOUT_MS },
    );
    const upload: Upload = {
      controller,
      wanted: () =>
        (controller.desiredSize ?? 0) > 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              wake = resolve;
            }),
      answer,
      failure: null,
      sent: 0,
      idle: this.idleTimer(importId),
      eventId: input.eventId,
      api,
    };
    answer.catch((error: unknown) => {
      upload.failure = { error };
      wake?.();
    });
    this.uploads.set(importId, upload);
    return importId;
  }

  /** Queues the next bytes; answers the bytes sent so far once there is room for more. */
  async chunk(importId: string, bytes: Uint8Array): Promise<number> {
    const upload = this.find(importId);
    if (upload.failure) throw this.close(importId, upload.failure.error);
    upload.controller.enqueue(bytes);
    upload.sent += bytes.length;
    await Promise.race([
      upload.wanted(),
      upload.answer.then(
        () => undefined,
        () => undefined,
      ),
    ]);
    // Set meanwhile by the answer's rejection (TypeScript keeps the narrowing from above).
    const failure = upload.failure as Upload['failure'];
    if (failure) throw this.close(importId, failure.error);
    return upload.sent;
  }

  /** Ends the body and waits for the server's summary. */
  async finish(importId: string): Promise<ImportSummary> {
    const upload = this.find(importId);
    if (!upload.failure) upload.controller.close();
    try {
      return await upload.answer;
    } finally {
      this.close(importId, null);
    }
  }

  /**
   * How far the server is with the import (`GET /events/:id/imports/:importId`): checking, then
   * rows written of rows to write. The renderer asks every ~500 ms while `finish` waits, so the
   * organizer sees the rows being written after the upload reached 100 %. Null until the server
   * has recorded anything (or when it is a server without import progress).
   */
  async progress(importId: string): Promise<ImportProgress | null> {
    const upload = this.uploads.get(importId);
    if (!upload) return null;
    try {
      return await upload.api.call(routes['bookings.importProgress'], {
        params: { id: upload.eventId, importId },
      });
    } catch (error) {
      if (error instanceof GatehouseError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  cancel(importId: string): void {
    const upload = this.uploads.get(importId);
    if (!upload) return;
    if (!upload.failure) upload.controller.error(new Error('import cancelled'));
    this.close(importId, null);
  }

  private find(importId: string): Upload {
    const upload = this.uploads.get(importId);
    if (!upload) throw new GatehouseError('NOT_FOUND', 'No such import in progress (it finished or was dropped)');
    clearTimeout(upload.idle);
    upload.idle = this.idleTimer(importId);
    return upload;
  }

  private idleTimer(importId: string): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.cancel(importId), IDLE_MS);
    timer.unref?.();
    return timer;
  }

  private close(importId: string, error: unknown): unknown {
    const upload = this.uploads.get(importId);
    if (upload) clearTimeout(upload.idle);
    this.uploads.delete(importId);
    return error;
  }
}
