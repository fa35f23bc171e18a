import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { MEASURE_NAMES } from '../../scripts/bench/options';
import { PEER_MEASURES } from '../../scripts/bench/peer/index';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The quick run takes about 15 s on the CI machine (2 cores), peer included; one that needs 75 s has rotted. */
const RUN_LIMIT_MS = 75_000;

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The default store, whatever the caller's shell selects: no MongoDB variables reach the bench.
    const { MONGODB_URI: _uri, MONGODB_DB: _db, GATEHOUSE_STORE: _store, ...env } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * CI keeps the benchmark from rotting: the quick mode must run every measure on the default store
 * (SQLite) and print one valid JSON line for each, naming the store, then the PouchDB peer's lines
 * and the comparison lines. Nothing about speed is asserted — only that each measure ran (or says
 * exactly why it was skipped) and reported numbers; a measure that errors fails the test.
 */
it('npm run bench -- --quick prints one valid JSON line per measure', { timeout: RUN_LIMIT_MS + 10_000 }, async () => {
  const { code, stdout, stderr } = await runBench(['--quick', '--store', 'sqlite', '--peer']);
  const context = `exit ${code}\n--- stdout\n${stdout}\n--- stderr (tail)\n${stderr.slice(-5000)}`;
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  const parsed = lines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`stdout line is not JSON: ${line}\n${context}`);
    }
  });
  expect(code, context).toBe(0);

  const environment = parsed.find((line) => line.measure === 'environment');
  expect(environment, context).toMatchObject({
    quick: true,
    store: 'sqlite',
    node: process.version,
    cores: expect.any(Number),
  });
  expect(environment!.versions, context).toMatchObject({
    fastify: expect.any(String),
    'better-sqlite3': expect.any(String),
  });
  expect(environment!.bookings, context).toEqual(expect.any(Number));

  const ours = parsed.filter((line) => line.peer === undefined && line.compare === undefined);
  for (const name of MEASURE_NAMES) {
    const matching = ours.filter((line) => line.measure === name);
    expect(matching, `${name}: exactly one line\n${context}`).toHaveLength(1);
    const line = matching[0]!;
    expect(line.error, `${name} failed\n${context}`).toBeUndefined();
    expect(line, context).toMatchObject({
      store: 'sqlite',
      cores: expect.any(Number),
      bookings: environment!.bookings,
    });
    if (typeof line.skipped === 'string') {
      // Only the MongoDB adapter's command count has nothing to measure on SQLite; every other
      // measure must run (a skip would hide a missing server piece).
      expect(name, `${name} skipped: ${line.skipped}\n${context}`).toBe('db_commands');
      expect(line.skipped.length, context).toBeGreaterThan(10);
      continue;
    }
    const figures = Object.entries(line).filter(
      ([key, value]) => !['cores', 'bookings'].includes(key) && typeof value === 'number',
    );
    expect(figures.length, `${name} reported no figures\n${context}`).toBeGreaterThan(1);
    for (const [key, value] of figures) expect(Number.isFinite(value), `${name}.${key}\n${context}`).toBe(true);
  }

  // The peer (PouchDB + express-pouchdb) on the same sizes, and one comparison line per measure.
  for (const { name } of PEER_MEASURES) {
    const peer = parsed.filter((line) => line.measure === name && line.peer === 'pouchdb');
    expect(peer, `peer ${name}: exactly one line\n${context}`).toHaveLength(1);
    expect(peer[0]!.error, `peer ${name} failed\n${context}`).toBeUndefined();
    expect(peer[0], context).toMatchObject({ store: 'leveldb', bookings: environment!.bookings });
    const compared = parsed.filter((line) => line.measure === name && line.compare === 'pouchdb');
    expect(compared, `${name}: one comparison line\n${context}`).toHaveLength(1);
    expect(compared[0], context).toMatchObject({
      store: 'sqlite',
      gatehouse: expect.any(Number),
      peer: expect.any(Number),
    });
  }
  expect(parsed.length, context).toBe(1 + MEASURE_NAMES.length + 2 * PEER_MEASURES.length);
});
