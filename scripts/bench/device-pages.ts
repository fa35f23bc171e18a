/**
 * What storing an initial sync's pages costs the device's core by itself, without the network or a
 * server beside it on the same cores: N bookings with random v4 ids (as the server's are, so every
 * insert lands at a random place of the id's index) in pages of P changes, each page's JSON parsed
 * as the wire's would be, then `AccountStore.applyPullPage` — the path `initial_sync` times up to
 * ready-to-scan, key and code indexes included. Prints one JSON line: CPU and wall ms for
 * parsing and storing, ms in V8's garbage collector, peak RSS. Run it with the core's flags to see them at work, alternating
 * settings on a shared machine:
 * `node --max-semi-space-size=8 --import tsx scripts/bench/device-pages.ts [bookings] [pageSize]`.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import type { Change } from '@gatehouse/protocol';
import { AccountStore } from '../../electron/core/store';
import { DEVICE_ID, bookingDoc, eventDoc, page, tempDir } from '../../electron/core/test/fixtures';

const bookings = Number(process.argv[2] ?? 100_000);
const pageSize = Number(process.argv[3] ?? 2_000);
const EVENT = 'ev-pages';
const BUCKET = `event:${EVENT}`;

function pageTexts(): string[] {
  const changes: Change[] = [{ bucket: BUCKET, seq: 1, type: 'event', id: EVENT, rev: 1, doc: eventDoc(EVENT) }];
  for (let i = 0; i < bookings; i++) {
    const doc = bookingDoc(EVENT, i, {
      id: randomUUID(),
      attendee: { name: `Ada Lovelace ${i}`, email: `attendee${i}@example.test` },
    });
    changes.push({ bucket: BUCKET, seq: i + 2, type: 'booking', id: doc.id, rev: 1, doc });
  }
  const texts: string[] = [];
  for (let start = 0; start < changes.length; start += pageSize) {
    const hasMore = start + pageSize < changes.length;
    const body = page(changes.slice(start, start + pageSize), { bucketsAdded: start === 0 ? [BUCKET] : [], hasMore });
    texts.push(JSON.stringify({ ...body, cursor: `cursor-${start}` }));
  }
  return texts;
}

const texts = pageTexts();
const store = AccountStore.open(path.join(tempDir('gatehouse-device-pages-'), 'gatehouse.db'), DEVICE_ID, Date.now);
store.beginInitialSync();
// Time in V8's collector while storing: what the page's objects cost beyond the work itself.
let gcMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });
let parseMs = 0;
let storeMs = 0;
let peakRssMb = 0;
const cpu = process.cpuUsage();
for (const text of texts) {
  const parsed = performance.now();
  const body = JSON.parse(text) as Parameters<AccountStore['applyPullPage']>[0];
  const stored = performance.now();
  store.applyPullPage(body);
  storeMs += performance.now() - stored;
  parseMs += stored - parsed;
  peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 2 ** 20);
}
const used = process.cpuUsage(cpu);
await new Promise((resolve) => setTimeout(resolve, 100)); // the GC entries are delivered
gcObserver.disconnect();
console.log(
  JSON.stringify({
    measure: 'device_pages',
    bookings,
    pageSize,
    phase: store.phase(),
    cpuMs: Math.round((used.user + used.system) / 1000),
    parseMs: Math.round(parseMs),
    storeMs: Math.round(storeMs),
    gcMs: Math.round(gcMs),
    peakRssMb: Math.round(peakRssMb),
    execArgv: process.execArgv.filter((flag) => flag.startsWith('--max')),
    loadAverage: loadavg().map((load) => Math.round(load * 10) / 10),
  }),
);
store.close();
