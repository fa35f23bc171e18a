import {
  IMPORT_LIMITS,
  IMPORT_PREVIEW_BYTES,
  type Event,
  type ImportEncoding,
  type ImportMapping,
  type ImportPreset,
  type ImportPreview,
  type ImportProgress,
  type ImportSummary,
} from '@gatehouse/protocol';
import { useRef, useState, type ChangeEvent } from 'react';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';
import { RpcError } from '../rpc/RpcError';
import { bytesOf, toBase64 } from './fileBytes';
import { ImportColumnMapping } from './ImportColumnMapping';
import { ImportDialogShell } from './ImportDialogShell';
import { ImportedRowPhotos } from './ImportedRowPhotos';
import { ImportFileOptions } from './ImportFileOptions';
import { ImportDetected, ImportPreviewRows } from './ImportPreviewRows';
import { ImportProgressBar } from './ImportProgressBar';
import { ImportResult } from './ImportResult';
import { sendImport } from './sendImport';

type Stage =
  | { kind: 'choose' }
  | { kind: 'preview'; file: File; preview: ImportPreview }
  | { kind: 'sending'; file: File; sent: number; rows: ImportProgress | null }
  | { kind: 'done'; file: File; summary: ImportSummary };

/**
 * "Import attendees" (organizers and admins): a CSV file from Eventbrite, pretix or a plain
 * name/email/ticket type sheet. The first 64 KiB are previewed by core (protocol imports/: the
 * server's own rules) — preset auto-detected or chosen, columns mapped, the first rows with their
 * problems marked by line and column — then the file goes to core in 128 KiB chunks, which core
 * streams to the server; the bar counts the bytes the server has taken. The summary lists every
 * refused row, and offers them as a CSV to fix and import again (a re-import matches, never doubles).
 */
export function ImportDialog({ event }: { event: Event }) {
  const [stage, setStage] = useState<Stage>({ kind: 'choose' });
  const [preset, setPreset] = useState<ImportPreset | ''>('');
  const [encoding, setEncoding] = useState<ImportEncoding>('auto');
  const [mapping, setMapping] = useState<ImportMapping | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const cancelled = useRef(false);

  function reset() {
    setStage({ kind: 'choose' });
    setPreset('');
    setEncoding('auto');
    setMapping(null);
    setError(null);
  }

  async function preview(
    file: File,
    choice: { preset: ImportPreset | ''; encoding: ImportEncoding; mapping: ImportMapping | null },
  ) {
    setBusy(true);
    setError(null);
    try {
      if (file.size > IMPORT_LIMITS.maxBytes) {
        throw new RpcError(
          'IMPORT_TOO_LARGE',
          `${file.name} is ${(file.size / 1024 / 1024).toFixed(1)} MB; at most 32 MB are imported at once.`,
        );
      }
      const result = await invoke('imports.preview', {
        eventId: event.id,
        head: toBase64(await bytesOf(file, 0, IMPORT_PREVIEW_BYTES)),
        complete: file.size <= IMPORT_PREVIEW_BYTES,
        encoding: choice.encoding,
        ...(choice.preset ? { preset: choice.preset } : {}),
        ...(choice.mapping ? { mapping: choice.mapping } : {}),
      });
      setStage({ kind: 'preview', file, preview: result });
      setMapping(result.mapping);
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  async function choose(input: ChangeEvent<HTMLInputElement>) {
    const file = input.target.files?.[0];
    input.target.value = '';
    if (!file) return;
    setMapping(null);
    await preview(file, { preset, encoding, mapping: null });
  }

  async function run(file: File) {
    setBusy(true);
    setError(null);
    cancelled.current = false;
    try {
      const summary = await sendImport(
        event.id,
        file,
        { encoding, mapping, preset },
        {
          onStarted: () => setStage({ kind: 'sending', file, sent: 0, rows: null }),
          onSent: (sent) => setStage({ kind: 'sending', file, sent, rows: null }),
          onRows: (rows) => setStage((now) => (now.kind === 'sending' ? { ...now, rows } : now)),
        },
        () => cancelled.current,
      );
      setStage({ kind: 'done', file, summary });
    } catch (caught) {
      setError(describeError(caught));
      setStage({ kind: 'choose' });
    } finally {
      setBusy(false);
    }
  }

  const current = stage.kind === 'preview' ? stage.preview : null;

  return (
    <ImportDialogShell
      openLabel="Import attendees…"
      onOpen={reset}
      titleId="import-title"
      title={<>Import attendees into {event.title}</>}
      onClosed={() => {
        cancelled.current = true;
      }}
      head={
        <>
          <p className="hint">
            A CSV file: an Eventbrite attendee report, pretix order positions, or a sheet with name, email and ticket
            type. Rows that match a booking — by the ticket&apos;s id in that system, or by email and name — update it
            instead of adding it twice, so a corrected file can simply be imported again.
          </p>
          <ImportFileOptions
            disabled={busy || stage.kind === 'sending'}
            preset={preset}
            encoding={encoding}
            onFile={(input) => void choose(input)}
            onPreset={(next) => {
              setPreset(next);
              setMapping(null);
              if (stage.kind === 'preview') void preview(stage.file, { preset: next, encoding, mapping: null });
            }}
            onEncoding={(next) => {
              setEncoding(next);
              if (stage.kind === 'preview') void preview(stage.file, { preset, encoding: next, mapping });
            }}
          />
        </>
      }
      error={error}
      onDismissError={() => setError(null)}
      actions={
        stage.kind === 'preview' ? (
          <button
            type="button"
            className="button-primary"
            disabled={busy || Boolean(current?.mappingProblem)}
            onClick={() => void run(stage.file)}
          >
            Import
          </button>
        ) : null
      }
      finished={stage.kind === 'done'}
    >
      {current && stage.kind === 'preview' ? (
        <>
          <ImportDetected fileName={stage.file.name} preview={current} />
          <ImportColumnMapping
            preview={current}
            mapping={mapping}
            disabled={busy}
            onChange={(next) => {
              setMapping(next);
              void preview(stage.file, { preset, encoding, mapping: next });
            }}
          />
          <ImportPreviewRows preview={current} />
        </>
      ) : null}
      {stage.kind === 'sending' ? <ImportProgressBar file={stage.file} sent={stage.sent} rows={stage.rows} /> : null}
      {stage.kind === 'done' ? <ImportResult summary={stage.summary} /> : null}
      {stage.kind === 'done' && stage.summary.photos?.length ? (
        <ImportedRowPhotos eventId={event.id} photos={stage.summary.photos} />
      ) : null}
    </ImportDialogShell>
  );
}
