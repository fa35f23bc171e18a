import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject, it } from 'vitest';
import { MEASURE_NAMES } from '../../scripts/bench/options';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The run's FerretDB, so the bench does not start a second database; it uses its own db name.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, MONGODB_URI: inject('mongoUri') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * CI keeps the benchmark from rotting: the quick mode must run every measure and print one valid
 * JSON line for each. Nothing about speed is asserted — only that each measure ran (or says exactly
 * why it was skipped) and reported numbers.
 */
it('npm run bench -- --quick prints one valid JSON line per measure', { timeout: 270_000 }, async () => {
  const { code, stdout, stderr } = await runBench(['--quick']);
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
  expect(environment, context).toMatchObject({ quick: true, node: process.version, cores: expect.any(Number) });
  expect(environment!.versions, context).toMatchObject({
    fastify: expect.any(String),
    'better-sqlite3': expect.any(String),
  });
  expect(environment!.bookings, context).toEqual(expect.any(Number));

  for (const name of MEASURE_NAMES) {
    const matching = parsed.filter((line) => line.measure === name);
    expect(matching, `${name}: exactly one line\n${context}`).toHaveLength(1);
    const line = matching[0]!;
    expect(line.error, `${name} failed\n${context}`).toBeUndefined();
    expect(line, context).toMatchObject({ cores: expect.any(Number), bookings: environment!.bookings });
    if (typeof line.skipped === 'string') {
      // Allowed only with a stated reason; the report says which measures were skipped and why.
      expect(line.skipped.length, context).toBeGreaterThan(10);
      continue;
    }
    const figures = Object.entries(line).filter(
      ([key, value]) => !['cores', 'bookings'].includes(key) && typeof value === 'number',
    );
    expect(figures.length, `${name} reported no figures\n${context}`).toBeGreaterThan(1);
    for (const [key, value] of figures) expect(Number.isFinite(value), `${name}.${key}\n${context}`).toBe(true);
  }
  expect(parsed.length, context).toBe(MEASURE_NAMES.length + 1);
});
