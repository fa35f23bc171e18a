/**
 * Child-process entry of a bench device: one real desktop core (electron/core) with its SQLite files
 * in the folder given as argv[2], driven over the IPC channel by scripts/bench/device.ts. Timing of
 * per-call work (scans) happens here, so IPC hops are not part of what is measured.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { RpcMethod, RpcParams, RpcResult } from '@gatehouse/protocol';
import Database from 'better-sqlite3';
import { nowMicros } from './stats';

export type AgentCommand =
  | { kind: 'ping' }
  | { kind: 'rpc'; method: RpcMethod; params: unknown }
  | { kind: 'scanMany'; eventId: string; gate: string; tokens: string[] }
  | { kind: 'count'; table: 'bookings' | 'checkins' | 'outbox' | 'events' | 'ticket_keys' }
  | { kind: 'waitForCheckins'; ids: string[]; timeoutMs: number }
  | { kind: 'waitForEmptyOutbox'; timeoutMs: number }
  | { kind: 'rss' }
  | { kind: 'syncTraffic' }
  | { kind: 'close' };

/** Pull requests made and pokes received since the device process started. */
export type SyncTraffic = { pulls: number; pokes: number };

export type AgentReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export type ScanManyResult = {
  wallMicros: number[];
  coreMicros: number[];
  verdicts: Record<string, number>;
  checkinIds: string[];
};

type Invoke = <M extends RpcMethod>(method: M, params: RpcParams<M>) => Promise<RpcResult<M>>;

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: device-agent.ts <dataDir>');

let invoke: Invoke | null = null;
let closeCore: (() => Promise<void>) | null = null;
let pokesReceived: () => number = () => 0;
/** Wakes a waitForCheckins poll at once when the core says check-ins were committed. */
let onCheckinsChanged: (listener: () => void) => () => void = () => () => undefined;
let unavailable: string | null = null;
let reader: Database.Database | null = null;

/**
 * Pull requests this device has made (`GET /sync/pull`), counted at `fetch`, which the core's
 * ServerApi calls: a measure reads it before and after its window (how many pulls absorbed what).
 * Wrapped before the core loads, so the core's ServerApi takes the counting `fetch` as its default.
 */
let pulls = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (url.includes('/sync/pull')) pulls += 1;
  return realFetch(input, init);
};

async function loadCore(): Promise<void> {
  try {
    const core = await import('./core-adapter');
    const opened = await core.openBenchCore(dataDir!);
    invoke = opened.invoke;
    closeCore = opened.close;
    pokesReceived = opened.pokes;
    onCheckinsChanged = (listener) =>
      opened.onDataChanged((tables) => {
        if (tables.includes('checkins')) listener();
      });
  } catch (error) {
    unavailable = `the desktop core could not be opened: ${(error as Error).message}`;
  }
}

/** A read-only second connection to the account's SQLite file: WAL lets it read while core writes. */
function accountDb(): Database.Database {
  if (reader) return reader;
  const accounts = path.join(dataDir!, 'accounts');
  const key = readdirSync(accounts)[0];
  if (!key) throw new Error('no account database yet (sign in first)');
  reader = new Database(path.join(accounts, key, 'gatehouse.db'), { readonly: true, fileMustExist: true });
  return reader;
}

function requireCore(): Invoke {
  if (!invoke) throw new Error(unavailable ?? 'core not loaded');
  return invoke;
}

async function scanMany(command: Extract<AgentCommand, { kind: 'scanMany' }>): Promise<ScanManyResult> {
  const call = requireCore();
  const result: ScanManyResult = { wallMicros: [], coreMicros: [], verdicts: {}, checkinIds: [] };
  for (const token of command.tokens) {
    const started = nowMicros();
    const scan = await call('checkin.scan', { eventId: command.eventId, gate: command.gate, scan: token });
    result.wallMicros.push(nowMicros() - started);
    result.coreMicros.push(scan.micros);
    result.verdicts[scan.verdict] = (result.verdicts[scan.verdict] ?? 0) + 1;
    if (scan.checkinId) result.checkinIds.push(scan.checkinId);
  }
  return result;
}

/** How long waitForCheckins sees nothing new before it looks every missing id up again (ms). */
const STALL_MS = 250;
/**
 * How often waitForCheckins looks without being woken (ms). The core's `data.changed` wakes it as
 * each page is stored, so the timer only catches what no event announces. At 2 ms its looks took
 * ~140 ms of device B's CPU during push_backlog's 1.6 s (profile, 2026-12-03): on 2 cores, time
 * taken from the server and device A it measures.
 */
const LOOK_EVERY_MS = 20;

/**
 * Resolves with the wall-clock time (epoch ms, sub-ms precision) at which each check-in first
 * appeared (with its doc) in this device's SQLite; woken by the core's `data.changed`, else every LOOK_EVERY_MS.
 *
 * The ids are looked up once; after that only rows written since the last look are read (rowid
 * above the last one seen). So a poll costs what arrived, not what is still missing: looking each
 * of 10,000 ids up every 20 ms took ~80 % of a core in this device's process, beside the sync it
 * measures. A row found without its doc is looked up by id on each poll until it has one. SQLite
 * can give a new row a rowid at or below one seen when the table's last rows were deleted (the
 * core deletes a refused local scan's row, or a purged bucket's): when nothing new has turned up
 * for STALL_MS, the ids still missing are looked up by id again, so such a row is found late
 * rather than never. The core's `data.changed` for check-ins (emitted once its transaction has
 * committed and the page is stored, what the UI waits for) wakes the poll at once, so a sample is
 * not a timer's late; the timer still looks in case no event comes (a slice of a page committed
 * before the page's event is seen then, up to LOOK_EVERY_MS late; the page's last rows are not).
 */
async function waitForCheckins(ids: string[], timeoutMs: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  const deadline = Date.now() + timeoutMs;
  const db = accountDb();
  const newRows = db.prepare('SELECT rowid AS r, id, doc IS NOT NULL AS hasDoc FROM checkins WHERE rowid > ?');
  const missing = new Set(ids);
  const withoutDoc = new Set<string>();
  const found = (id: string, hasDoc: number, at: number): void => {
    if (!hasDoc) return void withoutDoc.add(id);
    withoutDoc.delete(id);
    missing.delete(id);
    seen[id] = at;
  };
  // One statement for a whole list, at the start and after every stall: 10,000 ids one statement
  // each took 67–101 ms of this process's CPU, beside the sync it measures; in one, 20 ms (a kept
  // bench device's file, half of the ids present).
  const byIds = db.prepare(
    'SELECT id, doc IS NOT NULL AS hasDoc FROM checkins WHERE id IN (SELECT value FROM json_each(?))',
  );
  const lookUp = (list: Iterable<string>, at: number): void => {
    const wanted = [...list];
    if (wanted.length === 0) return;
    for (const row of byIds.all(JSON.stringify(wanted)) as Array<{ id: string; hasDoc: number }>) {
      found(row.id, row.hasDoc, at);
    }
  };
  let afterRowid = (db.prepare('SELECT MAX(rowid) AS r FROM checkins').get() as { r: number | null }).r ?? 0;
  lookUp(ids, performance.timeOrigin + performance.now());
  let progressAt = Date.now();
  let wake: () => void = () => undefined;
  const unsubscribe = onCheckinsChanged(() => wake());
  try {
    for (;;) {
      if (missing.size === 0) return seen;
      if (Date.now() > deadline)
        throw new Error(`${missing.size} of ${ids.length} check-ins did not arrive within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, LOOK_EVERY_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const now = performance.timeOrigin + performance.now();
      const before = missing.size;
      for (const row of newRows.all(afterRowid) as Array<{ r: number; id: string; hasDoc: number }>) {
        afterRowid = Math.max(afterRowid, row.r);
        if (missing.has(row.id)) found(row.id, row.hasDoc, now);
      }
      const stalled = Date.now() - progressAt > STALL_MS;
      lookUp(stalled ? missing : withoutDoc, now);
      if (missing.size < before || stalled) progressAt = Date.now();
    }
  } finally {
    unsubscribe();
  }
}

/**
 * Resolves with the wall-clock time (epoch ms) at which the outbox was first seen empty: every
 * mutation acknowledged by the server. Polled every 5 ms on the reader connection (is there one
 * row?), so the moment is not hidden behind the rest of the sync cycle (its pull).
 */
async function waitForEmptyOutbox(timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const query = accountDb().prepare('SELECT 1 FROM outbox LIMIT 1');
  for (;;) {
    const now = performance.timeOrigin + performance.now();
    if (query.get() === undefined) return now;
    if (Date.now() > deadline) throw new Error(`the outbox was not empty within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function handle(command: AgentCommand): Promise<unknown> {
  switch (command.kind) {
    case 'ping':
      return { pid: process.pid };
    case 'rpc':
      return requireCore()(command.method, command.params as never);
    case 'scanMany':
      return scanMany(command);
    case 'count': {
      const where = ['outbox'].includes(command.table) ? '' : ' WHERE doc IS NOT NULL';
      const row = accountDb().prepare(`SELECT COUNT(*) AS n FROM ${command.table}${where}`).get() as { n: number };
      return row.n;
    }
    case 'waitForCheckins':
      return waitForCheckins(command.ids, command.timeoutMs);
    case 'waitForEmptyOutbox':
      return waitForEmptyOutbox(command.timeoutMs);
    case 'rss':
      return process.memoryUsage().rss / 2 ** 20;
    case 'syncTraffic':
      return { pulls, pokes: pokesReceived() } satisfies SyncTraffic;
    case 'close':
      reader?.close();
      await closeCore?.();
      setImmediate(() => process.exit(0));
      return true;
  }
}

// Listen first: IPC messages that arrive before a listener exists are dropped.
const loaded = loadCore();
process.on('message', (message: AgentCommand & { id: number }) => {
  loaded
    .then(() => handle(message))
    .then(
      (result) => process.send?.({ id: message.id, ok: true, result } satisfies AgentReply),
      (error: unknown) =>
        process.send?.({
          id: message.id,
          ok: false,
          error: (error as Error).message ?? String(error),
        } satisfies AgentReply),
    );
});
process.on('disconnect', () => process.exit(0));
