/**
 * The device's photo rows at 100,000 bookings (#20 part 4): an initial sync's pull into a fresh
 * store with no photos and with a photo on every booking (the pull writes no photo rows either
 * way), then the chunked fill the photo fetcher runs after it, chunk by chunk as a scan would wait
 * behind one. One JSON line per round: `npx tsx scripts/bench/photo-rows.ts [rounds]`.
 */
import { bookingDoc, eventDoc, openTempStore, page } from '../../electron/core/test/fixtures';

const BOOKINGS = 100_000;
const PAGE = 2_000;
const CHUNK = 1_000;

function round(withPhotos: boolean) {
  const store = openTempStore();
  store.beginInitialSync();
  const event = { bucket: 'event:e1', seq: 1, type: 'event' as const, id: 'e1', rev: 1, doc: eventDoc('e1') };
  store.applyPullPage(page([event], { hasMore: true }));
  let seq = 2;
  const pullStart = performance.now();
  for (let first = 0; first < BOOKINGS; first += PAGE) {
    const changes = Array.from({ length: PAGE }, (_, i) => {
      const index = first + i;
      const photo = withPhotos ? { photoId: String(index).padStart(43, 'A') } : {};
      const doc = bookingDoc('e1', index, photo);
      return { bucket: 'event:e1', seq: seq++, type: 'booking' as const, id: doc.id, rev: 1, doc };
    });
    store.applyPullPage(page(changes, { hasMore: first + PAGE < BOOKINGS }));
  }
  const pullMs = performance.now() - pullStart;
  store.state.set('phase', 'ready');
  store.tuneForPhase();
  const chunks: number[] = [];
  let from: number | null = 0;
  while (from !== null) {
    const started = performance.now();
    const after: number = from;
    from = store.photos.inTransaction(() => store.photos.fillChunk(after, CHUNK));
    chunks.push(performance.now() - started);
  }
  const photoRows = (store.db.prepare('SELECT count(*) AS n FROM photos').get() as { n: number }).n;
  store.close();
  chunks.sort((a, b) => a - b);
  const at = (q: number) => Number(chunks[Math.min(chunks.length - 1, Math.floor(chunks.length * q))]!.toFixed(1));
  return {
    withPhotos,
    photoRows,
    pullMs: Math.round(pullMs),
    fillMs: Math.round(chunks.reduce((sum, ms) => sum + ms, 0)),
    chunkP50Ms: at(0.5),
    chunkP99Ms: at(0.99),
  };
}

const rounds = Number(process.argv[2] ?? 2);
for (let i = 0; i < rounds; i++) {
  console.log(JSON.stringify({ measure: 'photo_rows', bookings: BOOKINGS, ...round(false) }));
  console.log(JSON.stringify({ measure: 'photo_rows', bookings: BOOKINGS, ...round(true) }));
}
