import {
  type ImportSummary,
  mergePhotoImports,
  type PhotoImportSummary,
  photoFileName,
  retryablePhotoFiles,
  runPhotoImport,
  summarizePhotoImport,
} from '@gatehouse/protocol';
import { useRef, useState, type ChangeEvent } from 'react';
import { useSyncStore } from '../sync/syncStore';
import { FOLDER_ATTRIBUTES, type PhotoFile, putFile } from './photoFiles';
import { PhotoImportResult } from './PhotoImportResult';

type RowPhoto = NonNullable<ImportSummary['photos']>[number];

/** The last part of a path as written in a cell (`photos\anna.jpg` → `anna.jpg`), compared without case. */
const nameKey = (name: string) => (name.split(/[\\/]/).pop() ?? name).trim().toLowerCase();

/**
 * After a CSV import with a photo column: the organizer chooses the folder the file's photo names
 * refer to, and each imported row's photo goes to its booking (ImportSummary.photos) through the
 * same uploads and summary as "Import photos". A name with no file in the folder is listed as
 * refused NOT_FOUND. The server decides what an image is; the folder is read only here.
 */
export function ImportedRowPhotos({ eventId, photos }: { eventId: string; photos: RowPhoto[] }) {
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [result, setResult] = useState<{ files: PhotoFile[]; summary: PhotoImportSummary } | null>(null);
  const online = useSyncStore((state) => state.status?.online ?? true);
  const missing = useRef<PhotoImportSummary['results']>([]);

  async function upload(files: PhotoFile[], all: PhotoFile[], before: PhotoImportSummary | null) {
    setProgress({ done: 0, total: files.length });
    const summary = await runPhotoImport(files, (photo) => putFile(eventId, photo), {
      onProgress: (done, total) => setProgress({ done, total }),
    });
    setProgress(null);
    const merged = before
      ? mergePhotoImports(before, summary)
      : summarizePhotoImport([...summary.results, ...missing.current]);
    setResult({ files: all, summary: merged });
  }

  async function choose(input: ChangeEvent<HTMLInputElement>) {
    const byName = new Map([...(input.target.files ?? [])].map((file) => [nameKey(file.name), file]));
    input.target.value = '';
    const files: PhotoFile[] = [];
    missing.current = [];
    for (const row of photos) {
      const file = byName.get(nameKey(row.photo));
      if (!file) {
        missing.current.push({
          fileName: row.photo,
          reference: row.photo,
          outcome: {
            kind: 'refused',
            code: 'NOT_FOUND',
            message: `Line ${row.line} names ${row.photo}; the chosen folder has no such file`,
          },
        });
        continue;
      }
      const named = photoFileName(file.name);
      files.push({
        fileName: row.photo,
        reference: row.photo.slice(0, 200),
        contentType: named.kind === 'image' ? named.contentType : 'application/octet-stream',
        file,
        bookingId: row.bookingId,
      });
    }
    await upload(files, files, null);
  }

  const retry = result ? retryablePhotoFiles(result.files, result.summary) : [];
  return (
    <section className="import-result" aria-labelledby="row-photos-title" data-testid="row-photos">
      <h3 id="row-photos-title">Photos named in the file</h3>
      <p className="hint">
        {photos.length} imported {photos.length === 1 ? 'row names a photo' : 'rows name a photo'}. Choose the folder
        they are in to put each on its booking.
      </p>
      <label>
        Photo folder
        <input
          type="file"
          multiple
          {...FOLDER_ATTRIBUTES}
          aria-label="Choose the folder of the file's photos"
          disabled={progress !== null || !online}
          onChange={(input) => void choose(input)}
        />
      </label>
      {!online ? (
        <p className="notice notice-warning" role="status">
          Photos need the server, and it cannot be reached right now: choose the folder again when online.
        </p>
      ) : null}
      {progress ? (
        <progress aria-label="Photo upload progress" max={Math.max(1, progress.total)} value={progress.done} />
      ) : null}
      {result ? <PhotoImportResult summary={result.summary} /> : null}
      {result && retry.length > 0 ? (
        <button
          type="button"
          className="button-primary"
          disabled={!online || progress !== null}
          onClick={() => void upload(retry, result.files, result.summary)}
        >
          Send the {retry.length} failed again
        </button>
      ) : null}
    </section>
  );
}
