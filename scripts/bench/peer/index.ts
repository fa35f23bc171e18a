import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Figures } from '../measure';
import type { BenchOptions, MeasureName } from '../options';
import { ROOT } from '../paths';
import { PeakRssSampler } from '../rss';
import type { Fixture } from '../seed';
import { round, summarize } from '../stats';
import { PeerProcess } from './agent';
import type { PeerClientCommand, PeerScanResult, PeerServerCommand } from './protocol';

/**
 * The peer of `--peer`: PouchDB 9 on LevelDB behind express-pouchdb 4 (its own process on loopback,
 * RSS apart), and PouchDB 9 clients on LevelDB (each its own process), on the same bookings as the
 * Gatehouse run — same ids, names, codes, doc shape — measured the same way where the two can be
 * compared. Replication batches are 500 docs, the page size a Gatehouse device pulls.
 */
export const PEER = 'pouchdb';
/** What the peer stores in, for the `store` field of its lines. */
export const PEER_STORE = 'leveldb';
const DB = 'bench';
const BATCH = 500;

type Client = PeerProcess<PeerClientCommand>;

export type PeerContext = {
  options: BenchOptions;
  fixture: Fixture;
  log: (line: string) => void;
  url: string;
  serverPid: number;
  dataDir: string;
  client: (name: 'gate-a' | 'gate-b') => Promise<Client>;
  /** A client holding the whole database (replicated once, untimed, unless initial_sync did it). */
  synced: (name: 'gate-a' | 'gate-b') => Promise<Client>;
  /** initial_sync replicated this client itself (timed). */
  markSynced: (name: 'gate-a' | 'gate-b') => void;
  /** Booking ids for check-ins, disjoint across the peer's measures. */
  takeBookings: (count: number) => string[];
};

export type PeerMeasure = { name: MeasureName; timeLimitSeconds: number; run: (ctx: PeerContext) => Promise<Figures> };

export type RunningPeer = { ctx: PeerContext; stop: () => Promise<void> };

/** Starts the peer's server, seeds it with the fixture's bookings (directly, not timed). */
export async function startPeer(options: {
  options: BenchOptions;
  fixture: Fixture;
  dataDir: string;
  log: (line: string) => void;
}): Promise<RunningPeer> {
  const { log, fixture } = options;
  const dir = path.join(options.dataDir, 'peer');
  mkdirSync(dir, { recursive: true });
  const server = await PeerProcess.start<PeerServerCommand>(
    'peer-server',
    path.join(ROOT, 'scripts/bench/peer/server-main.ts'),
    [path.join(dir, 'server')],
    log,
  );
  const clients = new Map<string, Client>();
  const synced = new Set<string>();
  const stop = async () => {
    for (const client of clients.values()) await client.stop().catch(() => undefined);
    await server.stop().catch(() => undefined);
  };
  try {
    const file = path.join(dir, 'bookings.ndjson');
    const out = createWriteStream(file);
    for (const doc of fixture.bookingDocs()) {
      if (!out.write(`${JSON.stringify({ _id: doc.id, type: 'booking', ...doc })}\n`))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    const seeded = Date.now();
    const written = await server.call<number>({ kind: 'seed', db: DB, file }, 1_200_000);
    log(`[bench] peer: seeded ${written} booking docs in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
    const { port } = await server.call<{ port: number }>({ kind: 'listen', db: DB });
    const url = `http://127.0.0.1:${port}/${DB}`;
    let next = 0;
    const ctx: PeerContext = {
      options: options.options,
      fixture,
      log,
      url,
      serverPid: server.pid,
      dataDir: dir,
      async client(name) {
        let client = clients.get(name);
        if (!client) {
          client = await PeerProcess.start<PeerClientCommand>(
            `peer-${name}`,
            path.join(ROOT, 'scripts/bench/peer/client-main.ts'),
            [path.join(dir, name)],
            log,
          );
          clients.set(name, client);
        }
        return client;
      },
      async synced(name) {
        const client = await ctx.client(name);
        if (!synced.has(name)) {
          await client.call({ kind: 'replicateFrom', url, batchSize: BATCH }, 1_200_000);
          synced.add(name);
        }
        return client;
      },
      markSynced: (name) => synced.add(name),
      takeBookings(count) {
        const ids: string[] = [];
        for (let i = 0; i < count; i++) ids.push(fixture.bookingIds[(next + i) % fixture.bookingIds.length]!);
        next += count;
        return ids;
      },
    };
    return { ctx, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Clients A and B replicating live (A both ways, B pulling), as two gates online. */
async function online(ctx: PeerContext): Promise<{ a: Client; b: Client }> {
  const a = await ctx.synced('gate-a');
  const b = await ctx.synced('gate-b');
  await a.call({ kind: 'startLive', url: ctx.url, push: true, pull: true, batchSize: BATCH });
  await b.call({ kind: 'startLive', url: ctx.url, push: false, pull: true, batchSize: BATCH });
  return { a, b };
}

const initialSync: PeerMeasure = {
  name: 'initial_sync',
  timeLimitSeconds: 1200,
  async run(ctx) {
    const a = await ctx.client('gate-a');
    const clientRss = new PeakRssSampler(a.pid);
    const serverRss = new PeakRssSampler(ctx.serverPid);
    const started = performance.now();
    const result = await a.call<{ docsWritten: number }>(
      { kind: 'replicateFrom', url: ctx.url, batchSize: BATCH },
      1_200_000,
    );
    const seconds = (performance.now() - started) / 1000;
    const clientPeakRssMb = clientRss.stop();
    const serverPeakRssMb = serverRss.stop();
    ctx.markSynced('gate-a');
    const docs = await a.call<number>({ kind: 'docCount' });
    if (docs < ctx.fixture.bookingIds.length)
      throw new Error(`the client holds ${docs} of ${ctx.fixture.bookingIds.length} docs`);
    return {
      seconds: round(seconds, 2),
      rows: result.docsWritten,
      rowsPerSecond: Math.round(result.docsWritten / seconds),
      batchSize: BATCH,
      clientPeakRssMb,
      serverPeakRssMb,
    };
  },
};

const scanVerdict: PeerMeasure = {
  name: 'scan_verdict',
  timeLimitSeconds: 1200,
  async run(ctx) {
    const { a } = await online(ctx);
    const { options, fixture } = ctx;
    const scan = (ids: string[]) =>
      a.call<PeerScanResult>({ kind: 'scanMany', eventId: fixture.eventId, gate: 'Gate A', bookingIds: ids }, 600_000);
    await scan(ctx.takeBookings(Math.min(100, Math.max(1, Math.floor(options.scans / 10)))));
    const result = await scan(ctx.takeBookings(options.scans));
    if (result.checkinIds.length === 0) throw new Error('no scan found its booking');
    const wall = summarize(result.wallMicros, 0);
    return {
      scans: result.wallMicros.length,
      usP50: wall.p50,
      usP95: wall.p95,
      usP99: wall.p99,
      usMax: wall.max,
      found: result.checkinIds.length,
      what: 'get(bookingId) + put(check-in doc), live replication running',
    };
  },
};

const pushBacklog: PeerMeasure = {
  name: 'push_backlog',
  timeLimitSeconds: 1200,
  async run(ctx) {
    const { a, b } = await online(ctx);
    const { options, fixture } = ctx;
    const ids = ctx.takeBookings(options.backlog);
    // Offline: live replication off, earlier check-ins pushed first so the backlog is this measure's alone.
    await a.call({ kind: 'stopLive' });
    await a.call({ kind: 'pushOnce', url: ctx.url, since: 'live', batchSize: BATCH }, 600_000);
    const since = await a.call<number | string>({ kind: 'updateSeq' });
    const offline = await a.call<PeerScanResult>(
      { kind: 'scanMany', eventId: fixture.eventId, gate: 'Gate A', bookingIds: ids },
      600_000,
    );
    if (offline.checkinIds.length !== ids.length)
      throw new Error(`offline scans wrote ${offline.checkinIds.length} of ${ids.length} check-ins`);
    const visible = b
      .call<Record<string, number>>(
        { kind: 'waitForDocs', ids: offline.checkinIds, timeoutMs: options.quick ? 60_000 : 600_000 },
        options.quick ? 70_000 : 610_000,
      )
      .then(
        (seen) => ({ seen }),
        (error: unknown) => ({ error: error as Error }),
      );
    const startedAt = performance.timeOrigin + performance.now();
    const started = performance.now();
    const pushed = await a.call<{ docsWritten: number; failures: number }>(
      { kind: 'pushOnce', url: ctx.url, since, batchSize: BATCH },
      600_000,
    );
    const ackSeconds = (performance.now() - started) / 1000;
    if (pushed.docsWritten !== ids.length || pushed.failures > 0)
      throw new Error(`the push wrote ${pushed.docsWritten} of ${ids.length} docs (${pushed.failures} failures)`);
    const outcome = await visible;
    if ('error' in outcome) throw outcome.error;
    const lastSeen = Math.max(...Object.values(outcome.seen));
    // Back online for the measures after this one.
    await a.call({ kind: 'startLive', url: ctx.url, push: true, pull: true, batchSize: BATCH });
    return {
      checkins: ids.length,
      ackSeconds: round(ackSeconds, 2),
      visibleOnSecondDeviceSeconds: round((lastSeen - startedAt) / 1000, 2),
      mutationsPerSecond: Math.round(ids.length / ackSeconds),
      batchSize: BATCH,
    };
  },
};

const propagation: PeerMeasure = {
  name: 'propagation',
  timeLimitSeconds: 900,
  async run(ctx) {
    const { a, b } = await online(ctx);
    const { options, fixture } = ctx;
    const samples: number[] = [];
    const deadline = Date.now() + (options.quick ? 60_000 : 600_000);
    for (const bookingId of ctx.takeBookings(options.propagationSamples)) {
      if (Date.now() > deadline) break;
      const started = performance.timeOrigin + performance.now();
      const scan = await a.call<PeerScanResult>({
        kind: 'scanMany',
        eventId: fixture.eventId,
        gate: 'Gate A',
        bookingIds: [bookingId],
      });
      const id = scan.checkinIds[0];
      if (!id) throw new Error(`booking ${bookingId} was not found on client A`);
      const seen = await b.call<Record<string, number>>({ kind: 'waitForDocs', ids: [id], timeoutMs: 30_000 }, 35_000);
      samples.push(seen[id]! - started);
    }
    const ms = summarize(samples);
    return { samples: ms.count, msP50: ms.p50, msP95: ms.p95, msP99: ms.p99, msMax: ms.max };
  },
};

/** In run order; the same names as the Gatehouse measures they stand beside. */
export const PEER_MEASURES: PeerMeasure[] = [initialSync, scanVerdict, pushBacklog, propagation];

/**
 * The figure each comparison line leads with, Gatehouse's name first, the peer's second (lower is
 * better for all), and figures shown beside it.
 */
export const COMPARED: Partial<Record<MeasureName, { figure: [string, string]; also: Array<[string, string]> }>> = {
  initial_sync: { figure: ['readyToScanSeconds', 'seconds'], also: [['clientPeakRssMb', 'clientPeakRssMb']] },
  push_backlog: {
    figure: ['ackSeconds', 'ackSeconds'],
    also: [['visibleOnSecondDeviceSeconds', 'visibleOnSecondDeviceSeconds']],
  },
  propagation: { figure: ['msP99', 'msP99'], also: [['msP50', 'msP50']] },
  scan_verdict: { figure: ['usP99', 'usP99'], also: [['usP50', 'usP50']] },
};
