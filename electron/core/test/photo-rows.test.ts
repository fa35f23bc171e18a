import { afterEach, describe, expect, it } from 'vitest';
import type { AccountStore } from '../store';
import { bookingDoc, eventDoc, openTempStore, page } from './fixtures';

/**
 * The device's photo rows (device migration 013) kept in step by the pull: which bookings name a
 * photo, which are due for the fetcher and in what order, and what the verdict reads.
 */
const PHOTO_A = 'A'.repeat(43);
const PHOTO_B = 'B'.repeat(43);
let store: AccountStore;
afterEach(() => store?.close());

function pull(changes: Parameters<typeof page>[0]) {
  store.applyPullPage(page(changes));
}

describe('photo rows', () => {
  it('a pulled booking naming a photo is due, photos of ticket types requiring one first; one without costs no row', () => {
    store = openTempStore();
    const event = eventDoc('e1', {
      ticketTypes: [
        { id: 'tt-general', name: 'General', price: 0, quota: 100, sold: 0 },
        { id: 'tt-photo', name: 'Photo pass', price: 0, quota: 100, sold: 0, requiresPhoto: true },
      ],
    });
    pull([
      { bucket: 'event:e1', seq: 1, type: 'event', id: 'e1', rev: 1, doc: event },
      {
        bucket: 'event:e1',
        seq: 2,
        type: 'booking',
        id: 'e1-b1',
        rev: 1,
        doc: bookingDoc('e1', 1, { photoId: PHOTO_A }),
      },
      {
        bucket: 'event:e1',
        seq: 3,
        type: 'booking',
        id: 'e1-b2',
        rev: 1,
        doc: bookingDoc('e1', 2, { photoId: PHOTO_B, ticketTypeId: 'tt-photo' }),
      },
      { bucket: 'event:e1', seq: 4, type: 'booking', id: 'e1-b3', rev: 1, doc: bookingDoc('e1', 3) },
    ]);
    expect(store.photos.due(Date.now(), 10).map((row) => row.bookingId)).toEqual(['e1-b2', 'e1-b1']);
    expect(store.db.prepare('SELECT count(*) AS n FROM photos').get()).toEqual({ n: 2 });
    expect(store.photos.stateFor(bookingDoc('e1', 2, { photoId: PHOTO_B }))).toBe('notDownloaded');
    expect(store.photos.stateFor(bookingDoc('e1', 3))).toBe('missing');

    store.photos.store('e1-b2', PHOTO_B, 'image/webp', Buffer.from('bytes'));
    expect(store.photos.stateFor(bookingDoc('e1', 2, { photoId: PHOTO_B }))).toBe('ready');
    expect(store.photos.due(Date.now(), 10).map((row) => row.bookingId)).toEqual(['e1-b1']);

    // A retry waits its time; a changed photo id is due at once again, the old bytes kept until then.
    store.photos.retryAt('e1-b1', Date.now() + 60_000, 'OFFLINE');
    expect(store.photos.due(Date.now(), 10)).toEqual([]);
    pull([
      {
        bucket: 'event:e1',
        seq: 5,
        type: 'booking',
        id: 'e1-b2',
        rev: 2,
        doc: bookingDoc('e1', 2, { photoId: PHOTO_A, ticketTypeId: 'tt-photo' }),
      },
    ]);
    expect(store.photos.due(Date.now(), 10).map((row) => row.bookingId)).toEqual(['e1-b2']);
    expect(store.photos.bytesFor('e1-b2')).toBeNull();

    // Taken off the booking, and a deleted booking: their rows go.
    pull([
      { bucket: 'event:e1', seq: 6, type: 'booking', id: 'e1-b2', rev: 3, doc: bookingDoc('e1', 2) },
      { bucket: 'event:e1', seq: 7, type: 'booking', id: 'e1-b1', rev: 2, doc: null },
    ]);
    expect(store.db.prepare('SELECT count(*) AS n FROM photos').get()).toEqual({ n: 0 });
  });
});

describe('photo rows after an initial sync', () => {
  it('are not written during the download, then entered in chunks with their priority', () => {
    store = openTempStore();
    const event = eventDoc('e2', {
      ticketTypes: [
        { id: 'tt-general', name: 'General', price: 0, quota: 100, sold: 0 },
        { id: 'tt-photo', name: 'Photo pass', price: 0, quota: 100, sold: 0, requiresPhoto: true },
      ],
    });
    expect(store.beginInitialSync()).toBe(true);
    const bookings = Array.from({ length: 12 }, (_, index) => ({
      bucket: 'event:e2',
      seq: index + 2,
      type: 'booking' as const,
      id: `e2-b${index}`,
      rev: 1,
      doc: bookingDoc('e2', index, {
        ...(index % 3 === 0 ? {} : { photoId: String(index).padStart(43, 'P') }),
        ticketTypeId: index % 2 === 0 ? 'tt-photo' : 'tt-general',
      }),
    }));
    pull([{ bucket: 'event:e2', seq: 1, type: 'event', id: 'e2', rev: 1, doc: event }, ...bookings]);
    expect(store.phase()).not.toBe('syncing');
    expect(store.db.prepare('SELECT count(*) AS n FROM photos').get()).toEqual({ n: 0 });
    expect(store.state.get('photosFilledTo')).toBe('0');

    let from: number | null = 0;
    let chunks = 0;
    while (from !== null) {
      from = store.photos.fillChunk(from, 5);
      chunks += 1;
    }
    expect(chunks).toBe(3);
    const due = store.photos.due(Date.now(), 100);
    expect(due).toHaveLength(8);
    // Photo passes (even indexes) first.
    expect(due.slice(0, 4).map((row) => row.bookingId)).toEqual(['e2-b10', 'e2-b2', 'e2-b4', 'e2-b8']);
    // Rows entered by the fill are kept in step by later pulls like any other.
    pull([{ bucket: 'event:e2', seq: 20, type: 'booking', id: 'e2-b1', rev: 2, doc: bookingDoc('e2', 1) }]);
    expect(store.photos.due(Date.now(), 100)).toHaveLength(7);
  });
});
