import { IMAGE_INPUT_MEDIA_TYPES, IMAGE_MAX_INPUT_BYTES, type PhotoData } from '@gatehouse/protocol';
import { useCallback, useEffect, useId, useRef, useState, type ChangeEvent } from 'react';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';
import { ErrorNotice } from '../ui/ErrorNotice';

/** Whose photo: the signed-in person's own, or the attendee's on a booking. */
export type PhotoTarget = { kind: 'mine' } | { kind: 'booking'; bookingId: string };

const MAX_MB = IMAGE_MAX_INPUT_BYTES / (1024 * 1024);

/** A file's bytes as base64 (what an RPC frame carries), without the data URL's prefix. */
function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read'));
    reader.readAsDataURL(file);
  });
}

function fetchPhoto(target: PhotoTarget): Promise<PhotoData> {
  return target.kind === 'mine' ? invoke('photos.mine', {}) : invoke('photos.booking', { bookingId: target.bookingId });
}

/**
 * A photo with its controls: the current picture as a thumbnail (or "No photo"), a file picker to
 * upload or replace it (JPEG, PNG or WebP up to 5 MB; the server re-encodes it and strips its
 * metadata), and Remove. Online only: the core answers OFFLINE, said in plain words. `canEdit`
 * false shows the picture alone (the server would refuse the change anyway).
 */
export function PhotoField({ target, label, canEdit }: { target: PhotoTarget; label: string; canEdit: boolean }) {
  const [photo, setPhoto] = useState<PhotoData | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const key = target.kind === 'mine' ? 'mine' : target.bookingId;

  const load = useCallback(async () => {
    try {
      setPhoto(await fetchPhoto(target));
    } catch (caught) {
      setPhoto(null);
      setError(describeError(caught));
    }
    // `key` names the target; the object itself is new on every render.
  }, [key]);
  useEffect(() => {
    setPhoto(undefined);
    setError(null);
    setNotice(null);
    void load();
  }, [load]);

  async function run(action: () => Promise<string>) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setNotice(await action());
      await load();
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
      if (inputRef.current) inputRef.current.value = '';
    }
  }

  async function upload(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    if (file.size > IMAGE_MAX_INPUT_BYTES) {
      setNotice(null);
      setError({
        code: 'IMAGE_TOO_LARGE',
        text: `That picture is larger than ${MAX_MB} MB. Choose a smaller one.`,
        detail: '',
        details: [],
      });
      if (inputRef.current) inputRef.current.value = '';
      return;
    }
    await run(async () => {
      const upload = { contentType: file.type || 'application/octet-stream', dataBase64: await readAsBase64(file) };
      if (target.kind === 'mine') await invoke('photos.setMine', upload);
      else await invoke('photos.setBooking', { ...upload, bookingId: target.bookingId });
      return 'Photo saved.';
    });
  }

  async function remove() {
    await run(async () => {
      if (target.kind === 'mine') await invoke('photos.removeMine', {});
      else await invoke('photos.removeBooking', { bookingId: target.bookingId });
      return 'Photo removed.';
    });
  }

  return (
    <div className="photo-field" data-testid="photo-field">
      <div className="photo-frame">
        {photo ? (
          <img className="photo-thumb" src={photo.dataUrl} alt={label} data-photo-id={photo.photoId} />
        ) : (
          <span className="photo-none">{photo === undefined ? 'Loading…' : 'No photo'}</span>
        )}
      </div>
      {canEdit ? (
        <div className="photo-actions">
          <input
            ref={inputRef}
            id={inputId}
            className="visually-hidden"
            type="file"
            accept={IMAGE_INPUT_MEDIA_TYPES.join(',')}
            aria-label={`${photo ? 'Replace' : 'Upload'} ${label.charAt(0).toLowerCase()}${label.slice(1)}`}
            disabled={busy}
            onChange={(event) => void upload(event)}
          />
          {/* The visible control: the input stays focusable (hidden visually), and its focus shows here. */}
          <label htmlFor={inputId} className="photo-upload">
            {photo ? 'Replace photo' : 'Upload photo'}
          </label>
          {photo ? (
            <button type="button" className="button-small button-danger" disabled={busy} onClick={() => void remove()}>
              Remove photo
            </button>
          ) : null}
          <p className="hint">JPEG, PNG or WebP, up to {MAX_MB} MB. Needs a connection to the server.</p>
        </div>
      ) : null}
      {notice ? (
        <p className="notice notice-ok" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
