/**
 * What `secure_delete = ON` (electron/core/db/open.ts, for erasures) costs a device's initial
 * sync: the pull of N bookings into a fresh store, the code and list indexes built at its end and
 * the search index's bulk build, with the pragma on and off on the same connection, alternately
 * (a noisy machine drifts; alternation spreads the drift over both). Wall and CPU time per round,
 * and the WAL bytes written. `npx tsx scripts/bench/secure-delete.ts [bookings] [rounds]`.
 */
import { statSync } from 'node:fs';
import { bookingDoc, eventDoc, openTempStore, page } from '../../electron/core/test/fixtures';

const PAGE = 2_000;

function round(bookings: number, secureDelete: boolean) {
  const store = openTempStore();
  store.db.pragma(`secure_delete = ${secureDelete ? 'ON' : 'OFF'}`);
  store.beginInitialSync();
  const event = { bucket: 'event:e1', seq: 1, type: 'event' as const, id: 'e1', rev: 1, doc: eventDoc('e1') };
  store.applyPullPage(page([event], { hasMore: true }));
  let seq = 2;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let first = 0; first < bookings; first += PAGE) {
    const changes = Array.from({ length: Math.min(PAGE, bookings - first) }, (_, i) => {
      const doc = bookingDoc('e1', first + i);
      return { bucket: 'event:e1', seq: seq++, type: 'booking' as const, id: doc.id, rev: 1, doc };
    });
    store.applyPullPage(page(changes, { hasMore: first + PAGE < bookings }));
  }
  const pullMs = performance.now() - started;
  const pullCpu = process.cpuUsage(cpu);
  while (!store.searchIndex.step(5_000).done);
  const totalMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const walBytes = statSync(`${store.file}-wal`).size;
  store.close();
  return {
    secureDelete,
    pullMs: Math.round(pullMs),
    withSearchIndexMs: Math.round(totalMs),
    pullCpuMs: Math.round((pullCpu.user + pullCpu.system) / 1000),
    cpuMs: Math.round((used.user + used.system) / 1000),
    walMb: Number((walBytes / 2 ** 20).toFixed(1)),
  };
}

const bookings = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 4);
for (let i = 0; i < rounds; i++) {
  for (const on of i % 2 === 0 ? [false, true] : [true, false]) {
    console.log(JSON.stringify({ measure: 'secure_delete_initial_sync', bookings, ...round(bookings, on) }));
  }
}
