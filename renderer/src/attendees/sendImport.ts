import {
  IMPORT_CHUNK_BYTES,
  type ImportEncoding,
  type ImportMapping,
  type ImportPreset,
  type ImportProgress,
  type ImportSummary,
} from '@gatehouse/protocol';
import { invoke } from '../rpc/client';
import { RpcError } from '../rpc/RpcError';
import { bytesOf, toBase64 } from './fileBytes';

/** How often the dialog asks how far the server is once the file is sent. */
const PROGRESS_POLL_MS = 500;

/**
 * Sends a CSV file to core in 128 KiB chunks (`imports.start`, `imports.chunk`, `imports.finish`),
 * which core streams to the server, and answers the server's summary. `onSent` gets the bytes the
 * server has taken after each chunk; once the file is whole, `onRows` gets the server's progress
 * every ~500 ms while it checks and writes the rows. When `cancelled()` turns true no further chunk
 * is sent (CONFLICT); on any failure the import is cancelled in core and the error thrown.
 */
export async function sendImport(
  eventId: string,
  file: File,
  choice: { encoding: ImportEncoding; mapping: ImportMapping | null; preset: ImportPreset | '' },
  report: { onStarted: () => void; onSent: (sent: number) => void; onRows: (rows: ImportProgress) => void },
  cancelled: () => boolean,
): Promise<ImportSummary> {
  const { encoding, mapping, preset } = choice;
  let importId: string | null = null;
  try {
    const started = await invoke('imports.start', {
      eventId,
      size: file.size,
      encoding,
      ...(mapping ? { mapping } : preset ? { preset } : {}),
    });
    importId = started.importId;
    report.onStarted();
    for (let start = 0; start < file.size; start += IMPORT_CHUNK_BYTES) {
      if (cancelled()) throw new RpcError('CONFLICT', 'The import was cancelled; nothing after it was sent.');
      const chunk = await bytesOf(file, start, start + IMPORT_CHUNK_BYTES);
      const { sent } = await invoke('imports.chunk', { importId, bytes: toBase64(chunk) });
      report.onSent(sent);
    }
    // The upload is whole; the server still checks and writes the rows: ask how far (~500 ms).
    const running = importId;
    const asking = setInterval(() => {
      void invoke('imports.progress', { importId: running })
        .then(({ progress }) => {
          if (progress) report.onRows(progress);
        })
        .catch(() => undefined);
    }, PROGRESS_POLL_MS);
    let summary: ImportSummary;
    try {
      summary = await invoke('imports.finish', { importId });
    } finally {
      clearInterval(asking);
    }
    importId = null;
    return summary;
  } catch (caught) {
    if (importId) void invoke('imports.cancel', { importId }).catch(() => undefined);
    throw caught;
  }
}
