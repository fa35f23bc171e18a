import {
  IMPORT_CHUNK_BYTES,
  IMPORT_LIMITS,
  IMPORT_PRESET_COLUMNS,
  IMPORT_PRESETS,
  IMPORT_PREVIEW_BYTES,
  type Event,
  type ImportEncoding,
  type ImportMapping,
  type ImportPreset,
  type ImportPreview,
  type ImportProgress,
  type ImportRowProblem,
  type ImportSummary,
} from '@gatehouse/protocol';
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';
import { RpcError } from '../rpc/RpcError';
import { ErrorNotice } from '../ui/ErrorNotice';
import { ImportedRowPhotos } from './ImportedRowPhotos';

/** Bytes → base64 in slices (a spread of 256 KiB of arguments would overflow the stack). */
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

async function bytesOf(file: Blob, start: number, end: number): Promise<Uint8Array> {
  return new Uint8Array(await file.slice(start, end).arrayBuffer());
}

type Field = 'name' | 'firstName' | 'lastName' | 'email' | 'ticketType' | 'externalId' | 'orderDate' | 'photo';
const FIELDS: Array<{ field: Field; label: string }> = [
  { field: 'name', label: 'Name' },
  { field: 'firstName', label: 'First name' },
  { field: 'lastName', label: 'Last name' },
  { field: 'email', label: 'Email' },
  { field: 'ticketType', label: 'Ticket type' },
  { field: 'externalId', label: 'External id' },
  { field: 'orderDate', label: 'Order date' },
  { field: 'photo', label: 'Photo file' },
];

/** A mapping field as a select's value: '' for none, else the JSON of its column(s). */
function selectValue(mapping: ImportMapping | null, field: Field): string {
  const value = mapping?.[field];
  if (value === undefined) return '';
  return JSON.stringify(Array.isArray(value) ? value : [value]);
}

function withField(mapping: ImportMapping | null, field: Field, value: string): ImportMapping {
  const next: Record<string, unknown> = { ...(mapping ?? {}) };
  if (value === '') delete next[field];
  else {
    const columns = JSON.parse(value) as string[];
    next[field] = field === 'externalId' ? columns : columns[0];
  }
  return next as ImportMapping;
}

/** The refused rows as a CSV a person can fix and import again (line, column, code, message). */
function refusalsCsv(refusals: ImportRowProblem[]): string {
  const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;
  return [
    'line,column,code,message',
    ...refusals.map((refusal) =>
      [String(refusal.line), quote(refusal.column ?? ''), refusal.code, quote(refusal.message)].join(','),
    ),
  ].join('\r\n');
}

type Stage =
  | { kind: 'choose' }
  | { kind: 'preview'; file: File; preview: ImportPreview }
  | { kind: 'sending'; file: File; sent: number; rows: ImportProgress | null }
  | { kind: 'done'; file: File; summary: ImportSummary };

/** How often the dialog asks how far the server is once the file is sent. */
const PROGRESS_POLL_MS = 500;

const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/**
 * The import's one bar: the bytes sent while the file goes up ("Uploading… 3.2 MB of 17.8 MB"),
 * then — the server checking and writing the rows, which for 100,000 rows takes seconds — the rows
 * written of the rows to write, as the server records them every 1,000 ("Writing rows… 42,000 of
 * 100,000").
 */
function ImportProgressBar({ file, sent, rows }: { file: File; sent: number; rows: ImportProgress | null }) {
  const writing = sent >= file.size && rows?.phase !== 'checking' && rows?.rowsTotal != null ? rows : null;
  const max = writing ? Math.max(1, writing.rowsTotal ?? 1) : Math.max(1, file.size);
  const value = writing ? writing.rowsWritten : sent;
  const text = writing
    ? `Writing rows… ${writing.rowsWritten.toLocaleString('en')} of ${(writing.rowsTotal ?? 0).toLocaleString('en')}`
    : sent < file.size
      ? `Uploading ${file.name}… ${megabytes(sent)} MB of ${megabytes(file.size)} MB`
      : 'Checking rows…';
  return (
    <div className="import-progress">
      <progress aria-label="Import progress" max={max} value={value} data-testid="import-progress" />
      <p className="hint" aria-live="polite" data-testid="import-progress-text">
        {text}
      </p>
    </div>
  );
}

/**
 * "Import attendees" (organizers and admins): a CSV file from Eventbrite, pretix or a plain
 * name/email/ticket type sheet. The first 64 KiB are previewed by core (protocol imports.ts: the
 * server's own rules) — preset auto-detected or chosen, columns mapped, the first rows with their
 * problems marked by line and column — then the file goes to core in 128 KiB chunks, which core
 * streams to the server; the bar counts the bytes the server has taken. The summary lists every
 * refused row, and offers them as a CSV to fix and import again (a re-import matches, never doubles).
 */
export function ImportDialog({ event }: { event: Event }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [stage, setStage] = useState<Stage>({ kind: 'choose' });
  const [preset, setPreset] = useState<ImportPreset | ''>('');
  const [encoding, setEncoding] = useState<ImportEncoding>('auto');
  const [mapping, setMapping] = useState<ImportMapping | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const cancelled = useRef(false);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

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
    let importId: string | null = null;
    try {
      const started = await invoke('imports.start', {
        eventId: event.id,
        size: file.size,
        encoding,
        ...(mapping ? { mapping } : preset ? { preset } : {}),
      });
      importId = started.importId;
      setStage({ kind: 'sending', file, sent: 0, rows: null });
      for (let start = 0; start < file.size; start += IMPORT_CHUNK_BYTES) {
        if (cancelled.current) throw new RpcError('CONFLICT', 'The import was cancelled; nothing after it was sent.');
        const chunk = await bytesOf(file, start, start + IMPORT_CHUNK_BYTES);
        const { sent } = await invoke('imports.chunk', { importId, bytes: toBase64(chunk) });
        setStage({ kind: 'sending', file, sent, rows: null });
      }
      // The upload is whole; the server still checks and writes the rows: ask how far (~500 ms).
      const running = importId;
      const asking = setInterval(() => {
        void invoke('imports.progress', { importId: running })
          .then(({ progress }) => {
            if (progress) setStage((now) => (now.kind === 'sending' ? { ...now, rows: progress } : now));
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
      setStage({ kind: 'done', file, summary });
    } catch (caught) {
      if (importId) void invoke('imports.cancel', { importId }).catch(() => undefined);
      setError(describeError(caught));
      setStage({ kind: 'choose' });
    } finally {
      setBusy(false);
    }
  }

  const current = stage.kind === 'preview' ? stage.preview : null;
  const columnOptions = current?.headers ?? [];
  const pretixId =
    current?.mapping?.externalId && current.mapping.externalId.length > 1 ? current.mapping.externalId : null;

  return (
    <>
      <button
        type="button"
        className="button-secondary"
        onClick={() => {
          reset();
          setOpen(true);
        }}
      >
        Import attendees…
      </button>
      <dialog
        ref={dialogRef}
        className="import-dialog"
        aria-labelledby="import-title"
        onClose={() => {
          cancelled.current = true;
          setOpen(false);
        }}
      >
        <h2 id="import-title">Import attendees into {event.title}</h2>
        <p className="hint">
          A CSV file: an Eventbrite attendee report, pretix order positions, or a sheet with name, email and ticket
          type. Rows that match a booking — by the ticket&apos;s id in that system, or by email and name — update it
          instead of adding it twice, so a corrected file can simply be imported again.
        </p>
        <div className="import-options">
          <label>
            File
            <input
              type="file"
              accept=".csv,text/csv"
              disabled={busy || stage.kind === 'sending'}
              onChange={(input) => void choose(input)}
            />
          </label>
          <label>
            Format
            <select
              value={preset}
              disabled={busy || stage.kind === 'sending'}
              onChange={(change) => {
                const next = change.target.value as ImportPreset | '';
                setPreset(next);
                setMapping(null);
                if (stage.kind === 'preview') void preview(stage.file, { preset: next, encoding, mapping: null });
              }}
            >
              <option value="">Detect from the columns</option>
              {IMPORT_PRESETS.map((name) => (
                <option key={name} value={name}>
                  {IMPORT_PRESET_COLUMNS[name].label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Characters
            <select
              value={encoding}
              disabled={busy || stage.kind === 'sending'}
              onChange={(change) => {
                const next = change.target.value as ImportEncoding;
                setEncoding(next);
                if (stage.kind === 'preview') void preview(stage.file, { preset, encoding: next, mapping });
              }}
            >
              <option value="auto">Detect (UTF-8 or Windows)</option>
              <option value="utf-8">UTF-8</option>
              <option value="windows-1252">Windows (Excel)</option>
            </select>
          </label>
        </div>
        <ErrorNotice error={error} onDismiss={() => setError(null)} />
        {current && stage.kind === 'preview' ? (
          <>
            <p className="hint" data-testid="import-detected">
              {stage.file.name}: {current.preset ? IMPORT_PRESET_COLUMNS[current.preset].label : 'own columns'},{' '}
              {current.encoding === 'utf-8' ? 'UTF-8' : 'Windows-1252'}, separated by “{current.delimiter}”.
            </p>
            <fieldset className="import-mapping">
              <legend>Columns</legend>
              {FIELDS.map(({ field, label }) => (
                <label key={field}>
                  {label}
                  <select
                    aria-label={`Column for ${label.toLowerCase()}`}
                    value={selectValue(mapping, field)}
                    disabled={busy}
                    onChange={(change) => {
                      const next = withField(mapping, field, change.target.value);
                      setMapping(next);
                      void preview(stage.file, { preset, encoding, mapping: next });
                    }}
                  >
                    <option value="">—</option>
                    {field === 'externalId' && pretixId ? (
                      <option value={JSON.stringify(pretixId)}>{pretixId.join(' + ')}</option>
                    ) : null}
                    {columnOptions.map((header) => (
                      <option key={header} value={JSON.stringify([header])}>
                        {header}
                      </option>
                    ))}
                  </select>
                </label>
              ))}
            </fieldset>
            {current.mappingProblem ? (
              <p className="notice notice-error" role="alert">
                {current.mappingProblem}
              </p>
            ) : null}
            <table className="import-preview" aria-label="First rows of the file">
              <thead>
                <tr>
                  <th>Line</th>
                  <th>Name</th>
                  <th>Email</th>
                  <th>Ticket type</th>
                  <th>External id</th>
                  <th>Problem</th>
                </tr>
              </thead>
              <tbody>
                {current.rows.map((row) => (
                  <tr key={row.line} className={row.problem ? 'row-problem' : undefined}>
                    <td>{row.line}</td>
                    <td>{row.name ?? ''}</td>
                    <td>{row.email ?? ''}</td>
                    <td>{row.ticketType ?? ''}</td>
                    <td>{row.externalId ?? ''}</td>
                    <td>
                      {row.problem
                        ? `Line ${row.problem.line}${row.problem.column ? `, column ${row.problem.column}` : ''}: ${row.problem.message}`
                        : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : null}
        {stage.kind === 'sending' ? <ImportProgressBar file={stage.file} sent={stage.sent} rows={stage.rows} /> : null}
        {stage.kind === 'done' ? <ImportResult summary={stage.summary} /> : null}
        {stage.kind === 'done' && stage.summary.photos?.length ? (
          <ImportedRowPhotos eventId={event.id} photos={stage.summary.photos} />
        ) : null}
        <div className="form-actions">
          {stage.kind === 'preview' ? (
            <button
              type="button"
              className="button-primary"
              disabled={busy || Boolean(current?.mappingProblem)}
              onClick={() => void run(stage.file)}
            >
              Import
            </button>
          ) : null}
          <button type="button" className="button-secondary" onClick={() => setOpen(false)}>
            {stage.kind === 'done' ? 'Close' : 'Cancel'}
          </button>
        </div>
      </dialog>
    </>
  );
}

function ImportResult({ summary }: { summary: ImportSummary }) {
  const [download, setDownload] = useState<string | null>(null);
  useEffect(() => {
    if (summary.refusals.length === 0) return;
    const url = URL.createObjectURL(new Blob([refusalsCsv(summary.refusals)], { type: 'text/csv' }));
    setDownload(url);
    return () => URL.revokeObjectURL(url);
  }, [summary]);
  return (
    <div className="import-result" data-testid="import-summary">
      <p className={summary.refused > 0 ? 'notice notice-warning' : 'notice notice-ok'} role="status">
        {summary.rows.toLocaleString()} rows: {summary.created.toLocaleString()} added,{' '}
        {summary.updated.toLocaleString()} updated, {summary.unchanged.toLocaleString()} unchanged,{' '}
        {summary.refused.toLocaleString()} refused.
      </p>
      {summary.refusals.length > 0 ? (
        <>
          <table className="import-preview" aria-label="Refused rows">
            <thead>
              <tr>
                <th>Line</th>
                <th>Column</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {summary.refusals.slice(0, 200).map((refusal) => (
                <tr key={`${refusal.line}-${refusal.code}`} className="row-problem">
                  <td>{refusal.line}</td>
                  <td>{refusal.column ?? ''}</td>
                  <td>
                    {refusal.message} <span className="mono">({refusal.code})</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {download ? (
            <a href={download} download="refused-rows.csv" className="button-secondary">
              Download the refused rows
            </a>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
