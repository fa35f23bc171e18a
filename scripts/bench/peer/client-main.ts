/**
 * Child-process entry of a peer client: one PouchDB 9 database on LevelDB in the folder argv[2] —
 * what an offline-first PouchDB gate app keeps — replicating with the peer's server. Timing of
 * per-call work (scans) happens here, so IPC hops are not part of it. Driven over IPC by
 * scripts/bench/peer/index.ts.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import PouchDB from 'pouchdb';
import { nowMicros } from '../stats';
import { serveAgent } from './agent';
import type { PeerClientCommand, PeerScanResult } from './protocol';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: client-main.ts <dataDir>');
mkdirSync(dataDir, { recursive: true });
const db = new PouchDB(path.join(path.resolve(dataDir), 'gate'));
const deviceId = randomUUID();
let live: PouchDB.Replication[] = [];
/** The update_seq at which live push started: what was written before it came from the server. */
let livePushSince: number | string | null = null;
/** First time each doc was seen in this database (its changes feed), since the first startLive. */
const seen = new Map<string, number>();
let watcher: PouchDB.Changes | null = null;
let counter = 0;

function watch(): void {
  if (watcher) return;
  watcher = db.changes({ live: true, since: 'now' }).on('change', (change) => {
    if (!seen.has(change.id)) seen.set(change.id, performance.timeOrigin + performance.now());
  });
}

async function scanMany(command: Extract<PeerClientCommand, { kind: 'scanMany' }>): Promise<PeerScanResult> {
  const result: PeerScanResult = { wallMicros: [], checkinIds: [], missing: 0 };
  for (const bookingId of command.bookingIds) {
    const started = nowMicros();
    let booking: PouchDB.Doc | null = null;
    try {
      booking = await db.get(bookingId);
    } catch {
      booking = null;
    }
    if (booking && booking.status === 'confirmed') {
      const now = new Date().toISOString();
      const id = `checkin-${randomUUID()}`;
      await db.put({
        _id: id,
        type: 'checkin',
        eventId: command.eventId,
        bookingId,
        gate: command.gate,
        direction: 'in',
        scannedAt: now,
        deviceId,
        staffId: 'peer-staff',
        hlc: `${String(Date.now()).padStart(15, '0')}:${String(counter++).padStart(5, '0')}:${deviceId}`,
      });
      result.checkinIds.push(id);
    } else {
      result.missing += 1;
    }
    result.wallMicros.push(nowMicros() - started);
  }
  return result;
}

function settle(replication: PouchDB.Replication): Promise<PouchDB.ReplicationResult> {
  return new Promise((resolve, reject) => {
    replication.on('error', (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))));
    replication.then(resolve, reject);
  });
}

async function waitForDocs(ids: string[], timeoutMs: number): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = ids.filter((id) => !seen.has(id));
    if (missing.length === 0) return Object.fromEntries(ids.map((id) => [id, seen.get(id)!]));
    if (Date.now() > deadline)
      throw new Error(`${missing.length} of ${ids.length} docs did not arrive within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, missing.length > 100 ? 20 : 2));
  }
}

serveAgent<PeerClientCommand>(async (command) => {
  switch (command.kind) {
    case 'ping':
      return { pid: process.pid };
    case 'replicateFrom': {
      const started = performance.now();
      const result = await settle(db.replicate.from(command.url, { batch_size: command.batchSize }));
      return { docsWritten: result.docs_written, ms: performance.now() - started };
    }
    case 'startLive': {
      watch();
      if (live.length > 0) return true;
      const since = (await db.info()).update_seq;
      const options = { live: true, retry: true, batch_size: command.batchSize };
      if (command.pull) live.push(db.replicate.from(command.url, options));
      if (command.push) {
        livePushSince ??= since;
        live.push(db.replicate.to(command.url, { ...options, since }));
      }
      for (const replication of live) replication.on('error', () => undefined);
      return true;
    }
    case 'stopLive':
      for (const replication of live) replication.cancel();
      live = [];
      return true;
    case 'scanMany':
      return scanMany(command);
    case 'pushOnce': {
      const since = command.since === 'live' ? livePushSince : command.since;
      if (since === null) return { docsWritten: 0, failures: 0, ms: 0 };
      const started = performance.now();
      const result = await settle(db.replicate.to(command.url, { since, batch_size: command.batchSize }));
      return { docsWritten: result.docs_written, failures: result.doc_write_failures, ms: performance.now() - started };
    }
    case 'updateSeq':
      return (await db.info()).update_seq;
    case 'waitForDocs':
      return waitForDocs(command.ids, command.timeoutMs);
    case 'docCount':
      return (await db.info()).doc_count;
    case 'close':
      for (const replication of live) replication.cancel();
      watcher?.cancel();
      await db.close().catch(() => undefined);
      setImmediate(() => process.exit(0));
      return true;
  }
});
