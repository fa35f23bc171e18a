import {
  IMAGE_MAX_INPUT_BYTES,
  mergePhotoImports,
  type Event,
  type PhotoImportOutcome,
  type PhotoImportSummary,
  photoFileName,
  retryablePhotoFiles,
  runPhotoImport,
} from '@gatehouse/protocol';
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';
import { useSyncStore } from '../sync/syncStore';
import { ErrorNotice } from '../ui/ErrorNotice';

/** One image file of the chosen folder, named by its reference (protocol photo-imports.ts). */
export type PhotoFile = {
  fileName: string;
  reference: string;
  contentType: string;
  file: File;
  /** Known already (a CSV import's photo column): the photo goes to this booking, not by reference. */
  bookingId?: string;
};

type Stage =
  | { kind: 'choose' }
  | { kind: 'preview'; files: PhotoFile[]; skipped: string[]; notKnownHere: string[] }
  | { kind: 'uploading'; files: PhotoFile[]; done: number; total: number; before: PhotoImportSummary | null }
  | { kind: 'done'; files: PhotoFile[]; summary: PhotoImportSummary };

/** Bytes → base64 in slices (a spread of a whole photo's bytes as arguments would overflow the stack). */
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

/**
 * Uploads one file through the core. A file over the size limit is refused here without reading
 * it; the core answers every other outcome (set, unknown, refused, failed).
 */
export async function putFile(eventId: string, photo: PhotoFile): Promise<PhotoImportOutcome> {
  if (photo.file.size > IMAGE_MAX_INPUT_BYTES) {
    return {
      kind: 'refused',
      code: 'IMAGE_TOO_LARGE',
      message: `The image is larger than ${IMAGE_MAX_INPUT_BYTES / (1024 * 1024)} MB`,
    };
  }
  if (photo.file.size === 0) return { kind: 'refused', code: 'IMAGE_EMPTY', message: 'The image is empty (0 bytes)' };
  const bytes = new Uint8Array(await photo.file.arrayBuffer());
  return invoke('photoImports.put', {
    eventId,
    reference: photo.reference,
    ...(photo.bookingId ? { bookingId: photo.bookingId } : {}),
    contentType: photo.contentType,
    dataBase64: toBase64(bytes),
  });
}

/** The folder input: Chromium and Electron take `webkitdirectory`, which React's types do not name. */
export const FOLDER_ATTRIBUTES = { webkitdirectory: '', directory: '' } as Record<string, string>;

/**
 * "Import photos" (organizers and admins; issue #20, photos "imported"): a folder (or some files)
 * of attendee photos, each named after the booking's door code or the ticket shop's id a CSV import
 * kept (`K7Q2M9XA.jpg`, `12345678-1.png`). Non-images are skipped and listed; the preview names the
 * files whose name is no code this device knows (the server may still know it as an external id).
 * Uploads go two at a time through the core to the server (online only — photos are megabytes and
 * never wait in the outbox), with a bar by files and a summary: photos set, unknown names, refused
 * images with their code, and failed uploads, which can be sent again.
 */
export function PhotoImportDialog({ event }: { event: Event }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [stage, setStage] = useState<Stage>({ kind: 'choose' });
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const closed = useRef(false);
  const online = useSyncStore((state) => state.status?.online ?? true);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  async function choose(input: ChangeEvent<HTMLInputElement>) {
    const chosen = [...(input.target.files ?? [])];
    input.target.value = '';
    if (chosen.length === 0) return;
    setBusy(true);
    setError(null);
    try {
      const files: PhotoFile[] = [];
      const skipped: string[] = [];
      for (const file of chosen) {
        const named = photoFileName(file.name);
        if (named.kind === 'image') files.push({ ...named, file });
        else skipped.push(named.fileName);
      }
      const { notKnownHere } =
        files.length > 0
          ? await invoke('photoImports.preview', { eventId: event.id, references: files.map((f) => f.reference) })
          : { notKnownHere: [] };
      setStage({ kind: 'preview', files, skipped, notKnownHere });
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  async function upload(all: PhotoFile[], files: PhotoFile[], before: PhotoImportSummary | null) {
    closed.current = false;
    setError(null);
    setStage({ kind: 'uploading', files: all, done: 0, total: files.length, before });
    const summary = await runPhotoImport(files, (photo) => putFile(event.id, photo), {
      onProgress: (done, total) => setStage({ kind: 'uploading', files: all, done, total, before }),
      stopped: () => closed.current,
    });
    setStage({ kind: 'done', files: all, summary: before ? mergePhotoImports(before, summary) : summary });
  }

  const uploading = stage.kind === 'uploading';

  return (
    <>
      <button
        type="button"
        className="button-secondary"
        onClick={() => {
          setStage({ kind: 'choose' });
          setError(null);
          setOpen(true);
        }}
      >
        Import photos…
      </button>
      <dialog
        ref={dialogRef}
        className="import-dialog"
        aria-labelledby="photo-import-title"
        onClose={() => {
          closed.current = true;
          setOpen(false);
        }}
      >
        <h2 id="photo-import-title">Import attendee photos into {event.title}</h2>
        <p className="hint">
          A folder of photos (JPEG, PNG or WebP, at most 5 MB each), each named after the booking&apos;s door code (
          <span className="mono">K7Q2M9XA.jpg</span>) or its id in the ticket shop that a CSV import kept. A photo
          replaces the one a booking had.
        </p>
        {!online ? (
          <p className="notice notice-warning" role="status" data-testid="photo-import-offline">
            Photo import needs the server, and it cannot be reached right now. Photos are not queued for later: try
            again when this device is online.
          </p>
        ) : null}
        <div className="import-options">
          <label>
            Folder
            <input
              type="file"
              multiple
              {...FOLDER_ATTRIBUTES}
              aria-label="Choose a folder of photos"
              disabled={busy || uploading}
              onChange={(input) => void choose(input)}
            />
          </label>
          <label>
            Or files
            <input
              type="file"
              multiple
              accept="image/*"
              aria-label="Choose photo files"
              disabled={busy || uploading}
              onChange={(input) => void choose(input)}
            />
          </label>
        </div>
        <ErrorNotice error={error} onDismiss={() => setError(null)} />
        {stage.kind === 'preview' ? <PhotoImportPreview stage={stage} /> : null}
        {uploading ? (
          <div className="import-progress">
            <progress
              aria-label="Photo upload progress"
              max={Math.max(1, stage.total)}
              value={stage.done}
              data-testid="photo-import-progress"
            />
            <p className="hint" aria-live="polite">
              {stage.done} of {stage.total} photos sent
            </p>
          </div>
        ) : null}
        {stage.kind === 'done' ? <PhotoImportResult summary={stage.summary} /> : null}
        <div className="form-actions">
          {stage.kind === 'preview' && stage.files.length > 0 ? (
            <button
              type="button"
              className="button-primary"
              disabled={busy || !online}
              onClick={() => void upload(stage.files, stage.files, null)}
            >
              Upload {stage.files.length} {stage.files.length === 1 ? 'photo' : 'photos'}
            </button>
          ) : null}
          {stage.kind === 'done' && retryablePhotoFiles(stage.files, stage.summary).length > 0 ? (
            <button
              type="button"
              className="button-primary"
              disabled={!online}
              onClick={() => void upload(stage.files, retryablePhotoFiles(stage.files, stage.summary), stage.summary)}
            >
              Send the {retryablePhotoFiles(stage.files, stage.summary).length} failed again
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

/** Up to 20 names, then how many more (a folder may hold thousands). */
function listed(names: string[]): string {
  const shown = names.slice(0, 20).join(', ');
  return names.length > 20 ? `${shown} and ${names.length - 20} more` : shown;
}

function PhotoImportPreview({ stage }: { stage: Extract<Stage, { kind: 'preview' }> }) {
  return (
    <div data-testid="photo-import-preview">
      <p className="hint">
        {stage.files.length} {stage.files.length === 1 ? 'photo' : 'photos'} to upload
        {stage.skipped.length > 0 ? `, ${stage.skipped.length} skipped (not images)` : ''}.
      </p>
      {stage.notKnownHere.length > 0 ? (
        <p className="notice notice-warning" data-testid="photo-import-not-known">
          No booking on this device has the code {listed(stage.notKnownHere.map((ref) => `“${ref}”`))}. The server looks{' '}
          {stage.notKnownHere.length === 1 ? 'it' : 'them'} up as ticket-shop ids too when uploading.
        </p>
      ) : null}
      {stage.skipped.length > 0 ? (
        <p className="hint" data-testid="photo-import-skipped">
          Skipped: {listed(stage.skipped)}
        </p>
      ) : null}
    </div>
  );
}

/** The summary: counts, then the files that did not get a photo set, each with why. */
export function PhotoImportResult({ summary }: { summary: PhotoImportSummary }) {
  const unknown = summary.results.filter((r) => r.outcome.kind === 'unknown');
  const problems = summary.results.filter((r) => r.outcome.kind === 'refused' || r.outcome.kind === 'failed');
  const allSet = summary.set === summary.results.length;
  return (
    <div className="import-result" data-testid="photo-import-summary">
      <p className={allSet ? 'notice notice-ok' : 'notice notice-warning'} role="status">
        {summary.set} {summary.set === 1 ? 'photo' : 'photos'} set, {summary.unknown} unknown{' '}
        {summary.unknown === 1 ? 'name' : 'names'}, {summary.refused} refused, {summary.failed} failed.
      </p>
      {unknown.length > 0 ? (
        <p className="hint" data-testid="photo-import-unknown">
          No booking of this event has the code or ticket-shop id of: {listed(unknown.map((r) => r.fileName))}
        </p>
      ) : null}
      {problems.length > 0 ? (
        <table className="import-preview" aria-label="Photos not set">
          <thead>
            <tr>
              <th>File</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {problems.slice(0, 200).map((r) =>
              r.outcome.kind === 'refused' || r.outcome.kind === 'failed' ? (
                <tr key={r.fileName} className="row-problem">
                  <td>{r.fileName}</td>
                  <td>
                    {r.outcome.kind === 'failed' ? 'Not sent: ' : ''}
                    {r.outcome.message} <span className="mono">({r.outcome.code})</span>
                  </td>
                </tr>
              ) : null,
            )}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
