import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BenchOptions } from './options';
import { ROOT } from './paths';

function packageVersion(name: string): string {
  try {
    const file = path.join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export type Environment = {
  cores: number;
  cpu: string;
  memoryMb: number;
  platform: string;
  node: string;
  commit: string;
  /** The sync server's store: `sqlite` or `mongodb`. */
  store: 'sqlite' | 'mongodb';
  /** Which one and where: `SQLite (embedded) at …`, `MongoDB: FerretDB v1.24.2`, `MongoDB: MONGODB_URI`. */
  database: string;
  /** The SQLite library better-sqlite3 is built with (the SQLite store's and every device's). */
  sqliteVersion: string;
  versions: Record<string, string>;
  /** 1, 5 and 15 minute load averages at the start: other work on the machine skews every figure. */
  loadAverage: number[];
};

function sqliteVersion(): string {
  try {
    const db = new Database(':memory:');
    const { version } = db.prepare('SELECT sqlite_version() AS version').get() as { version: string };
    db.close();
    return version;
  } catch {
    return 'unknown';
  }
}

/** What a reader needs to compare two runs: the machine, the versions and the store. */
export function describeEnvironment(store: 'sqlite' | 'mongodb', database: string, peer: boolean): Environment {
  const libraries = ['fastify', 'better-sqlite3', 'zod', 'ws', 'tsx'];
  if (store === 'mongodb') libraries.push('mongodb');
  if (peer) libraries.push('pouchdb', 'express-pouchdb', 'leveldown');
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    commit: gitCommit(),
    store,
    database,
    sqliteVersion: sqliteVersion(),
    versions: Object.fromEntries(libraries.map((name) => [name, packageVersion(name)])),
    loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))),
  };
}

/** The sizes this run uses, echoed on the environment line. */
export function describeSizes(options: BenchOptions): Record<string, number | boolean> {
  return {
    quick: options.quick,
    peer: options.peer,
    bookings: options.bookings,
    scans: options.scans,
    backlog: options.backlog,
    propagationSamples: options.propagationSamples,
    devices: options.devices,
    throughputSeconds: options.throughputSeconds,
    apiSamples: options.apiSamples,
  };
}
