/**
 * `npm run bench`: starts its own database and sync server, seeds one event, drives real desktop
 * cores (child processes with real SQLite files) over loopback and prints one JSON line per measure
 * on stdout. Progress goes to stderr. See README "Benchmarks" and `--help`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { describeEnvironment, describeSizes } from './bench/environment';
import { SkipMeasure, type MeasureContext } from './bench/measure';
import { MEASURES } from './bench/measures/index';
import { parseOptions, UsageError, type BenchOptions } from './bench/options';
import { DevicePool } from './bench/pool';
import { seedBookings, seedEvent } from './bench/seed';
import { startBenchServer, type BenchServer } from './bench/server';
import { startMongo, type RunningMongo } from './mongo';

const log = (line: string) => process.stderr.write(`${line}\n`);
const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

function withTimeout<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} exceeded its time limit of ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function run(options: BenchOptions): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  let mongo: RunningMongo | undefined;
  let server: BenchServer | undefined;
  let client: MongoClient | undefined;
  let devices: DevicePool | undefined;
  let failures = 0;
  try {
    mongo = await startMongo({ dataDir, log });
    const environment = describeEnvironment(mongo.describe);
    emit({ measure: 'environment', ...environment, ...describeSizes(options) });
    const dbName = `bench_${Date.now().toString(36)}`;
    server = await startBenchServer({ mongoUri: mongo.uri, dbName, dataDir });
    client = new MongoClient(mongo.uri, { appName: 'gatehouse-bench', maxPoolSize: 20 });
    await client.connect();
    const db = client.db(dbName);
    const common = {
      cores: environment.cores,
      node: environment.node,
      bookings: options.bookings,
      quick: options.quick,
    };
    const selected = MEASURES.filter((m) => options.only.includes(m.name));
    let seed;
    try {
      seed = await seedEvent({ db, baseUrl: server.baseUrl, bookings: options.bookings });
    } catch (error) {
      if (!(error instanceof SkipMeasure)) throw error;
      for (const measure of selected) emit({ measure: measure.name, skipped: `seeding: ${error.message}`, ...common });
      return 0;
    }
    // Bulk bookings go in with the server stopped (see seedBookings); then a fresh server starts on them.
    await server.stop();
    const fixture = await seedBookings({ db, seed, bookings: options.bookings, log });
    server = await startBenchServer({ mongoUri: mongo.uri, dbName, dataDir });
    log(`[bench] sync server pid ${server.pid} at ${server.baseUrl} (log ${server.logFile})`);
    devices = new DevicePool();

    let nextBooking = 0;
    const takeBookings = (count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(fixture.bookingIds[(nextBooking + i) % fixture.bookingIds.length]!);
      nextBooking += count;
      return ids;
    };
    for (const measure of selected) {
      const cleanups: Array<() => Promise<void> | void> = [];
      const ctx: MeasureContext = {
        options,
        environment,
        mongo,
        db,
        server,
        fixture,
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
  } finally {
    await devices?.stopAll().catch(() => undefined);
    await client?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await mongo?.stop().catch(() => undefined);
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
