import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../mongo';
import { ROOT, tsxNodeArgs } from './paths';

export type BenchServer = { baseUrl: string; pid: number; logFile: string; stop: () => Promise<void> };

export const BENCH_ADMIN = { email: 'bench-admin@gatehouse.local', password: 'bench-admin-password' };

/**
 * The sync server as its own process (its real entry point, `sync-server/src/main.ts`), so its RSS
 * is measured apart from the devices and the driver. Rate limits are lifted — every simulated device
 * speaks from 127.0.0.1 — and tokens live long enough for the whole run.
 */
export async function startBenchServer(options: {
  /** The server's data folder (GATEHOUSE_DATA_DIR): the SQLite store's file, the JWT secret, the log. */
  dataDir: string;
  /** Store selection for the server's environment: {} for SQLite, MONGODB_URI (+ MONGODB_DB) for MongoDB. */
  storeEnv: Record<string, string>;
  /** Extra node flags for the server process (e.g. --cpu-prof for BENCH_PROFILE_SERVER). */
  nodeFlags?: string[];
}): Promise<BenchServer> {
  const port = await freePort();
  const dataDir = options.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(dataDir, 'server.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  // The store is chosen by the bench alone: a MONGODB_URI or GATEHOUSE_STORE of the caller's shell must not leak in.
  const { MONGODB_URI: _uri, MONGODB_DB: _db, GATEHOUSE_STORE: _store, ...inherited } = process.env;
  // BENCH_SERVER_NODE_FLAGS: node flags for the measured server alone (e.g. V8 heap settings to compare).
  const extraFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const args = [
    ...extraFlags,
    ...(options.nodeFlags ?? []),
    ...tsxNodeArgs(path.join(ROOT, 'sync-server/src/main.ts')),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...inherited,
      ...options.storeEnv,
      PORT: String(port),
      HOST: '127.0.0.1',
      GATEHOUSE_DATA_DIR: dataDir,
      JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256-0123456789',
      ACCESS_TOKEN_TTL_SECONDS: '3600',
      RATE_LIMIT_PER_MINUTE: '100000000',
      LOGIN_RATE_LIMIT_PER_MINUTE: '100000',
      LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL || 'warn',
      ADMIN_EMAIL: BENCH_ADMIN.email,
      ADMIN_PASSWORD: BENCH_ADMIN.password,
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`sync server exited at start (code ${child.exitCode}); see ${logFile}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sync server did not answer /health within 60 s; see ${logFile}`);
    }
    try {
      const response = await fetch(`${baseUrl}/ready`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    baseUrl,
    pid: child.pid!,
    logFile,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          log.end();
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
