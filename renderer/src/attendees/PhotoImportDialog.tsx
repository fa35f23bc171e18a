import {
  mergePhotoImports,
  type Event,
  type PhotoImportSummary,
  photoFileName,
  retryablePhotoFiles,
  runPhotoImport,
} from '@gatehouse/protocol';
import { useRef, useState, type ChangeEvent } from 'react';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';
import { useSyncStore } from '../sync/syncStore';
import { ImportBar, ImportDialogShell } from './ImportDialogShell';
import { FOLDER_ATTRIBUTES, type PhotoFile, putFile } from './photoFiles';
import { PhotoImportPreview, PhotoImportResult } from './PhotoImportResult';

type Stage =
  | { kind: 'choose' }
  | { kind: 'preview'; files: PhotoFile[]; skipped: string[]; notKnownHere: string[] }
  | { kind: 'uploading'; files: PhotoFile[]; done: number; total: number; before: PhotoImportSummary | null }
  | { kind: 'done'; files: PhotoFile[]; summary: PhotoImportSummary };

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
  const [stage, setStage] = useState<Stage>({ kind: 'choose' });
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const closed = useRef(false);
  const online = useSyncStore((state) => state.status?.online ?? true);

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
    <ImportDialogShell
      openLabel="Import photos…"
      onOpen={() => {
        setStage({ kind: 'choose' });
        setError(null);
      }}
      titleId="photo-import-title"
      title={<>Import attendee photos into {event.title}</>}
      onClosed={() => {
        closed.current = true;
      }}
      head={
        <>
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
        </>
      }
      error={error}
      onDismissError={() => setError(null)}
      actions={
        <>
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
        </>
      }
      finished={stage.kind === 'done'}
    >
      {stage.kind === 'preview' ? <PhotoImportPreview stage={stage} /> : null}
      {uploading ? (
        <ImportBar
          label="Photo upload progress"
          max={Math.max(1, stage.total)}
          value={stage.done}
          text={
            <>
              {stage.done} of {stage.total} photos sent
            </>
          }
          testId="photo-import-progress"
        />
      ) : null}
      {stage.kind === 'done' ? <PhotoImportResult summary={stage.summary} /> : null}
    </ImportDialogShell>
  );
}
