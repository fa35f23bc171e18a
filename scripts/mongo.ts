/**
 * The one place that decides which MongoDB Gatehouse talks to (DESIGN §2):
 *   1. MONGODB_URI, if set — a real MongoDB, a replica set or Atlas;
 *   2. else FerretDB v1.24.2 (MongoDB wire protocol on SQLite): `ferretdb` on PATH or `.tools/ferretdb`,
 *      built once with Go when missing, started on a free loopback port with its data under the data dir;
 *   3. else mongodb-memory-server, where it is installed and can download a mongod.
 * It always says which one it picked. Under CI=true, finding none is an error, never a skip.
 *
 * CLI: `npm run mongo` starts one and keeps it running until Ctrl-C, printing its URI.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchFerretDbTables } from './ferretdb-id-index';

export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.2';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS_DIR = path.join(ROOT, '.tools');
const LOCAL_FERRETDB = path.join(TOOLS_DIR, 'ferretdb');

export type MongoKind = 'external' | 'ferretdb' | 'memory-server';
export type RunningMongo = { uri: string; kind: MongoKind; describe: string; stop: () => Promise<void> };

export async function startMongo(options: { dataDir: string; log?: (line: string) => void }): Promise<RunningMongo> {
  const log = options.log ?? ((line: string) => console.log(line));
  if (process.env.MONGODB_URI) {
    log(`[mongo] using MONGODB_URI (${redactUri(process.env.MONGODB_URI)})`);
    return { uri: process.env.MONGODB_URI, kind: 'external', describe: 'MONGODB_URI', stop: async () => {} };
  }
  const ferretdb = findOrBuildFerretDb(log);
  if (ferretdb) return startFerretDb(ferretdb, options.dataDir, log);
  const memory = await tryMemoryServer(log);
  if (memory) return memory;
  throw new Error(
    'No MongoDB available: set MONGODB_URI, put ferretdb on PATH, or install Go so FerretDB can be built into .tools/.',
  );
}

function redactUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

function onPath(binary: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** Exported for .ci/run, which builds FerretDB ahead of the tests. */
export function findOrBuildFerretDb(log: (line: string) => void): string | null {
  const fromPath = onPath('ferretdb');
  if (fromPath) return fromPath;
  if (existsSync(LOCAL_FERRETDB)) return LOCAL_FERRETDB;
  if (!onPath('go')) return null;
  log(`[mongo] building FerretDB ${FERRETDB_VERSION} into .tools/ (once; about a minute)…`);
  const download = spawnSync('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  if (download.status !== 0) {
    log(`[mongo] go mod download failed: ${download.stderr.trim()}`);
    return null;
  }
  const moduleDir = (JSON.parse(download.stdout) as { Dir: string }).Dir;
  // `go install` of FerretDB panics at start without build/version/version.txt, which its release
  // process generates; build from a copy of the module with that file written.
  const sourceDir = path.join(tmpdir(), `gatehouse-ferretdb-src-${process.pid}`);
  rmSync(sourceDir, { recursive: true, force: true });
  cpSync(moduleDir, sourceDir, { recursive: true });
  spawnSync('chmod', ['-R', 'u+w', sourceDir]);
  writeFileSync(path.join(sourceDir, 'build/version/version.txt'), `${FERRETDB_VERSION}\n`);
  mkdirSync(TOOLS_DIR, { recursive: true });
  const build = spawnSync('go', ['build', '-buildvcs=false', '-o', LOCAL_FERRETDB, './cmd/ferretdb'], {
    cwd: sourceDir,
    encoding: 'utf8',
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  rmSync(sourceDir, { recursive: true, force: true });
  if (build.status !== 0 || !existsSync(LOCAL_FERRETDB)) {
    log('[mongo] building FerretDB failed');
    return null;
  }
  chmodSync(LOCAL_FERRETDB, 0o755);
  return LOCAL_FERRETDB;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(port, '127.0.0.1');
  });
}

async function startFerretDb(binary: string, dataDir: string, log: (line: string) => void): Promise<RunningMongo> {
  const dir = path.join(path.resolve(dataDir), 'ferretdb');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--handler=sqlite',
      // WAL with synchronous=NORMAL: a commit is durable at the next checkpoint, not fsynced on its
      // own — as MongoDB acknowledges a w:1 write before its journal's group commit. FerretDB's default
      // (FULL) fsyncs every write, which made 200 parallel inserts take 3× as long.
      `--sqlite-url=file:${dir}/?_pragma=synchronous(normal)`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      // FerretDB writes state.json into its state dir (default: the working directory).
      `--state-dir=${dir}`,
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const deadline = Date.now() + 20_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`FerretDB exited at start (code ${child.exitCode}): ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`FerretDB did not listen within 20 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const uri = `mongodb://127.0.0.1:${port}/`;
  log(`[mongo] using FerretDB ${FERRETDB_VERSION} (${binary}) at ${uri}, data in ${dir}`);
  // FERRETDB_ID_INDEX=off measures FerretDB as it comes (see ferretdb-id-index.ts).
  const tables = process.env.FERRETDB_ID_INDEX === 'off' ? null : watchFerretDbTables(dir);
  return {
    uri,
    kind: 'ferretdb',
    describe: `FerretDB ${FERRETDB_VERSION}`,
    stop: () =>
      new Promise<void>((resolve) => {
        tables?.stop();
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

async function tryMemoryServer(log: (line: string) => void): Promise<RunningMongo | null> {
  const moduleName = 'mongodb-memory-server';
  try {
    const { MongoMemoryServer } = (await import(moduleName)) as {
      MongoMemoryServer: { create: () => Promise<{ getUri: () => string; stop: () => Promise<unknown> }> };
    };
    const server = await MongoMemoryServer.create();
    log(`[mongo] using mongodb-memory-server at ${server.getUri()}`);
    return {
      uri: server.getUri(),
      kind: 'memory-server',
      describe: 'mongodb-memory-server',
      stop: async () => {
        await server.stop();
      },
    };
  } catch {
    return null;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dataDir = process.env.GATEHOUSE_DATA_DIR ?? path.join(ROOT, '.data');
  if (process.argv.includes('--build-only')) {
    const binary = findOrBuildFerretDb(console.log);
    if (!binary) {
      console.error('[mongo] no FerretDB binary and it could not be built');
      process.exit(1);
    }
    console.log(`[mongo] FerretDB ready at ${binary}`);
  } else {
    const mongo = await startMongo({ dataDir });
    console.log(`MONGODB_URI=${mongo.uri}`);
    const stop = () => void mongo.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }
}
