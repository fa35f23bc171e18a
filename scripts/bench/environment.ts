import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  database: string;
  versions: Record<string, string>;
};

/** What a reader needs to compare two runs: the machine, the versions and the database. */
export function describeEnvironment(database: string): Environment {
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    commit: gitCommit(),
    database,
    versions: Object.fromEntries(
      ['fastify', 'mongodb', 'better-sqlite3', 'zod', 'ws', 'tsx'].map((name) => [name, packageVersion(name)]),
    ),
  };
}

/** The sizes this run uses, echoed on the environment line. */
export function describeSizes(options: BenchOptions): Record<string, number | boolean> {
  return {
    quick: options.quick,
    bookings: options.bookings,
    scans: options.scans,
    backlog: options.backlog,
    propagationSamples: options.propagationSamples,
    devices: options.devices,
    throughputSeconds: options.throughputSeconds,
    apiSamples: options.apiSamples,
  };
}
