/**
 * `npm run bench`: prepares the sync server's store (scripts/store.ts: embedded SQLite by default,
 * `--store mongodb` for MongoDB or a local FerretDB), starts the server, seeds one event through the
 * storage port, drives real desktop cores (child processes with real SQLite files) over loopback and
 * prints one JSON line per measure on stdout; `--peer` then runs the PouchDB + express-pouchdb peer
 * on the same sizes and prints a comparison line per measure. Progress goes to stderr. See README
 * "Benchmarks" and `--help`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StoreConfig } from '../sync-server/src/config';
import { BenchApi } from './bench/api';
import { describeEnvironment, describeSizes } from './bench/environment';
import { SkipMeasure, type Figures, type MeasureContext } from './bench/measure';
import { MEASURES } from './bench/measures/index';
import { MongoWireCounter } from './bench/mongo-wire';
import { parseOptions, UsageError, type BenchOptions, type MeasureName } from './bench/options';
import { COMPARED, PEER, PEER_MEASURES, PEER_STORE, startPeer, type RunningPeer } from './bench/peer/index';
import { buildDeviceAgent } from './bench/agent-bundle';
import { DevicePool } from './bench/pool';
import { login, seedBookings, seedEvent, type Fixture } from './bench/seed';
import { startBenchServer, type BenchServer } from './bench/server';
import { round } from './bench/stats';
import { prepareStore, type LocalStore } from './store';

const log = (line: string) => process.stderr.write(`${line}\n`);
const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

function withTimeout<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} exceeded its time limit of ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * How the server and the bench reach the store. For MongoDB the server goes through a loopback
 * proxy that counts its commands (mongo-wire.ts); the bench's own seeding connects directly.
 */
async function storeSetup(
  local: LocalStore,
  serverDir: string,
): Promise<{ config: StoreConfig; serverEnv: Record<string, string>; commands: MongoWireCounter | string }> {
  if (local.kind === 'sqlite') {
    return {
      config: { kind: 'sqlite', file: path.join(serverDir, 'gatehouse.db') },
      serverEnv: { GATEHOUSE_STORE: 'sqlite' },
      commands: 'the SQLite store sends no database commands (the figure is the MongoDB adapter’s)',
    };
  }
  const uri = local.env.MONGODB_URI;
  if (!uri) throw new Error('the MongoDB store came without MONGODB_URI');
  const dbName = `bench_${Date.now().toString(36)}`;
  const counter = MongoWireCounter.forUri(uri);
  const serverUri = typeof counter === 'string' ? uri : await counter.start();
  return {
    config: { kind: 'mongodb', uri, dbName },
    serverEnv: { MONGODB_URI: serverUri, MONGODB_DB: dbName, GATEHOUSE_STORE: 'mongodb' },
    commands: counter,
  };
}

async function run(options: BenchOptions): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  const serverDir = path.join(dataDir, 'server');
  mkdirSync(serverDir, { recursive: true });
  let local: LocalStore | undefined;
  let commands: MongoWireCounter | string | undefined;
  let server: BenchServer | undefined;
  let devices: DevicePool | undefined;
  let peer: RunningPeer | undefined;
  let failures = 0;
  try {
    // First, so a change to the core's sources made while the store is seeded is not measured.
    const agent = await buildDeviceAgent(path.join(dataDir, 'agent'));
    local = await prepareStore({ dataDir: serverDir, ...(options.store ? { store: options.store } : {}), log });
    const setup = await storeSetup(local, serverDir);
    commands = setup.commands;
    const environment = describeEnvironment(local.kind, local.describe, options.peer);
    emit({ measure: 'environment', ...environment, ...describeSizes(options) });
    log(`[bench] store: ${local.describe}`);
    const common = {
      store: local.kind,
      cores: environment.cores,
      node: environment.node,
      bookings: options.bookings,
      quick: options.quick,
    };
    const startServer = (profile = false) => {
      // BENCH_PROFILE_SERVER=<dir>: the measured server runs with --cpu-prof, its profile written there on exit.
      const profileDir = profile ? process.env.BENCH_PROFILE_SERVER : undefined;
      return startBenchServer({
        dataDir: serverDir,
        storeEnv: setup.serverEnv,
        ...(profileDir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] } : {}),
      });
    };
    server = await startServer();
    const selected = MEASURES.filter((m) => options.only.includes(m.name));
    let seed;
    try {
      seed = await seedEvent({ baseUrl: server.baseUrl, bookings: options.bookings });
    } catch (error) {
      if (!(error instanceof SkipMeasure)) throw error;
      for (const measure of selected) emit({ measure: measure.name, skipped: `seeding: ${error.message}`, ...common });
      return 0;
    }
    // Bookings go in through the port with the server stopped (a SQLite file is one process's); then a fresh server.
    await server.stop();
    const seeded = await seedBookings({ store: setup.config, seed, bookings: options.bookings, log });
    server = await startServer(true);
    log(`[bench] sync server pid ${server.pid} at ${server.baseUrl} (log ${server.logFile})`);
    const api = new BenchApi(server.baseUrl);
    const fixture: Fixture = {
      ...seeded,
      organizer: await login(api, seeded.organizer),
      staff: await login(api, seeded.staff),
    };
    devices = new DevicePool(agent);

    let nextBooking = 0;
    const takeBookings = (count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(fixture.bookingIds[(nextBooking + i) % fixture.bookingIds.length]!);
      nextBooking += count;
      return ids;
    };
    const results = new Map<MeasureName, Figures>();
    for (const measure of selected) {
      const cleanups: Array<() => Promise<void> | void> = [];
      const ctx: MeasureContext = {
        options,
        environment,
        server,
        fixture,
        commands,
        devices,
        dataDir,
        log,
        defer: (cleanup) => cleanups.push(cleanup),
        takeBookings,
      };
      const limit = options.quick ? 60 : measure.timeLimitSeconds;
      log(`[bench] ${measure.name}…`);
      try {
        const figures = await withTimeout(measure.run(ctx), limit, measure.name);
        results.set(measure.name, figures);
        emit({ measure: measure.name, ...figures, ...common });
      } catch (error) {
        if (error instanceof SkipMeasure) {
          emit({ measure: measure.name, skipped: error.message, ...common });
        } else {
          failures += 1;
          // Its devices may still be busy (a timed-out measure's loops run on); stopping them ends
          // that work at once, and later measures start fresh devices on the same data folders.
          await devices.stopAll().catch(() => undefined);
          log(`[bench] ${measure.name} failed: ${(error as Error).stack ?? String(error)}`);
          emit({ measure: measure.name, error: (error as Error).message, ...common });
        }
      } finally {
        for (const cleanup of cleanups.reverse()) {
          try {
            await withTimeout(Promise.resolve(cleanup()), 15, `${measure.name} clean-up`);
          } catch (error) {
            log(`[bench] clean-up after ${measure.name}: ${(error as Error).message}`);
          }
        }
      }
    }

    const peerSelected = PEER_MEASURES.filter((m) => options.peer && options.only.includes(m.name));
    if (peerSelected.length > 0) {
      // The peer runs alone: Gatehouse's devices, server and database are stopped first.
      await devices.stopAll().catch(() => undefined);
      await server.stop();
      server = undefined;
      await local.stop();
      local = undefined;
      const peerCommon = { ...common, peer: PEER, store: PEER_STORE };
      const peerResults = new Map<MeasureName, Figures>();
      try {
        log('[bench] peer: PouchDB + express-pouchdb…');
        peer = await startPeer({ options, fixture, dataDir, log });
      } catch (error) {
        failures += 1;
        log(`[bench] peer set-up failed: ${(error as Error).stack ?? String(error)}`);
        for (const measure of peerSelected)
          emit({ measure: measure.name, error: `peer set-up: ${(error as Error).message}`, ...peerCommon });
      }
      for (const measure of peer ? peerSelected : []) {
        log(`[bench] peer ${measure.name}…`);
        try {
          const figures = await withTimeout(
            measure.run(peer!.ctx),
            options.quick ? 60 : measure.timeLimitSeconds,
            `peer ${measure.name}`,
          );
          peerResults.set(measure.name, figures);
          emit({ measure: measure.name, ...figures, ...peerCommon });
        } catch (error) {
          failures += 1;
          log(`[bench] peer ${measure.name} failed: ${(error as Error).stack ?? String(error)}`);
          emit({ measure: measure.name, error: (error as Error).message, ...peerCommon });
        }
      }
      for (const measure of peerSelected) {
        const compared = COMPARED[measure.name];
        const ours = results.get(measure.name);
        const theirs = peerResults.get(measure.name);
        if (!compared || !ours || !theirs) continue;
        const pair = ([oursName, theirsName]: [string, string]) => {
          const gatehouse = ours[oursName];
          const peerValue = theirs[theirsName];
          if (typeof gatehouse !== 'number' || typeof peerValue !== 'number') return null;
          return { gatehouse, peer: peerValue, ratio: gatehouse > 0 ? round(peerValue / gatehouse, 2) : null };
        };
        const headline = pair(compared.figure);
        if (!headline) continue;
        emit({
          measure: measure.name,
          compare: PEER,
          figure: compared.figure[0],
          ...headline,
          // ratio = peer / gatehouse; lower is better for every figure, so above 1 means Gatehouse is ahead.
          also: Object.fromEntries(compared.also.map((names) => [names[0], pair(names)])),
          ...common,
        });
      }
    }
  } finally {
    await peer?.stop().catch(() => undefined);
    await devices?.stopAll().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (typeof commands === 'object') await commands.stop().catch(() => undefined);
    await local?.stop().catch(() => undefined);
    // BENCH_KEEP_DATA=1 keeps the run's folder (server log, device databases) for a post-mortem.
    if (process.env.BENCH_KEEP_DATA === '1') log(`[bench] kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
  return failures === 0 ? 0 : 1;
}

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
run(options).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`[bench] ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
