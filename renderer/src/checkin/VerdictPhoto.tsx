import type { ScanResult } from '@gatehouse/protocol';
import { useEffect, useState } from 'react';
import { invoke, subscribe } from '../rpc/client';

/**
 * The attendee's photo beside the verdict, for a ticket whose type requires one, so the steward can
 * compare it with the face in front of them. The verdict came without waiting for it; the picture
 * is read from this device (`checkin.photo`) just after, and appears by itself if it arrives while
 * the verdict is shown. Without a picture the panel says why, in words a steward acts on.
 */
export function VerdictPhoto({
  state,
  bookingId,
  name,
}: {
  state: NonNullable<ScanResult['photo']>;
  bookingId: string;
  name: string;
}) {
  const [dataUrl, setDataUrl] = useState<string | null>(null);
  useEffect(() => {
    setDataUrl(null);
    if (state === 'missing') return;
    let live = true;
    const load = () => {
      invoke('checkin.photo', { bookingId })
        .then((photo) => {
          if (live && photo) setDataUrl(photo.dataUrl);
        })
        // The verdict stands without the picture; the words below say it is not here.
        .catch(() => undefined);
    };
    load();
    const off = subscribe('data.changed', (change) => {
      if (change.tables.includes('photos')) load();
    });
    return () => {
      live = false;
      off();
    };
  }, [state, bookingId]);

  if (dataUrl) {
    return (
      <figure className="verdict-photo" data-photo="shown">
        <img src={dataUrl} alt={`Photo on file for ${name}`} />
      </figure>
    );
  }
  if (state === 'ready') return <figure className="verdict-photo" data-photo="loading" aria-hidden="true" />;
  return (
    <figure className="verdict-photo verdict-photo-absent" data-photo={state}>
      <figcaption>
        {state === 'missing' ? 'No photo on file — check ID' : 'Photo not yet downloaded — check ID'}
      </figcaption>
    </figure>
  );
}
