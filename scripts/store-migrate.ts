/**
 * `npm run store:migrate -- --to mongodb://… [--db gatehouse] [--data-dir .data]`
 *
 * Copies the embedded SQLite store of a data folder into a MongoDB, for an organisation that
 * outgrows one machine (several server processes on one MongoDB). Every repository the storage
 * port declares is copied as plain rows (StoreTransfer, sync-server/src/store/transfer.ts), the
 * change log with its seqs and the JWT secret included, so devices keep their cursors and sessions.
 *
 * - The source server must be stopped: the store is opened as a server opens it, which is refused
 *   while a server holds the file. It stays locked while the copy runs.
 * - Resumable and idempotent: after each batch the position per repository is saved in
 *   `<data-dir>/migrate-progress.json`; a rerun goes on from there, and rows written twice are the
 *   same rows. A finished rerun copies nothing and verifies again.
 * - At the end the target builds what MongoDB keeps beside the rows (counters, seat and scan
 *   slots), then every repository is compared: a SHA-256 over the canonical JSON of every row, in
 *   key order, on both sides. Any difference exits non-zero.
 *
 * Progress goes to stderr, the verification table and what to configure next to stdout.
 * Exit codes: 0 done and verified, 1 refused or failed, 2 copied but not equal.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import stringify from 'safe-stable-stringify';
import { openMongoTransfer, type MongoTransfer } from '../sync-server/src/store/mongodb/index';
import { openSqliteTransfer, type SqliteTransfer } from '../sync-server/src/store/sqlite/index';
import {
  REPOSITORY_NAMES,
  TRANSFER_KEY,
  type RepositoryName,
  type StoreTransfer,
  type TransferRows,
} from '../sync-server/src/store/transfer';

/** A store as the migration sees it: the transfer, and which repositories it can export and import. */
export type TransferSide = StoreTransfer & { readonly repositories: readonly RepositoryName[] };

export const PROGRESS_FILE = 'migrate-progress.json';
const DEFAULT_BATCH = 1_000;
/** Test hook: SIGKILL this process once a run has copied at least this many rows (progress saved). */
const CRASH_AFTER_ROWS_ENV = 'GATEHOUSE_MIGRATE_CRASH_AFTER_ROWS';

export type RepositoryProgress = { afterKey: string | null; rows: number; done: boolean };

export type MigrateProgress = {
  version: 1;
  /** The source file and the target (URI without credentials, and database). */
  source: string;
  target: string;
  startedAt: string;
  updatedAt: string;
  repositories: Partial<Record<RepositoryName, RepositoryProgress>>;
  /** The target has rebuilt what it keeps beside the rows (finishImport). */
  finished: boolean;
};

/** Refuses a side that cannot export or import one of the repositories the port declares. */
export function assertCovers(side: { repositories: readonly RepositoryName[] }, name: string): void {
  const missing = REPOSITORY_NAMES.filter((repository) => !side.repositories.includes(repository));
  if (missing.length > 0) {
    throw new Error(
      `The ${name} store has no exporter/importer for ${missing.join(', ')}: the migration would lose ` +
        'those rows, so it does not start.',
    );
  }
}

/** The TRANSFER_KEY of a row (TypeScript cannot index the mapped table with a generic name). */
export function keyOf<R extends RepositoryName>(repository: R, row: TransferRows[R]): string {
  return (TRANSFER_KEY[repository] as (row: TransferRows[R]) => string)(row);
}

/** Every row of a repository, in key order, `pageSize` at a time. */
export async function* walkRows<R extends RepositoryName>(
  side: StoreTransfer,
  repository: R,
  pageSize = DEFAULT_BATCH,
): AsyncGenerator<TransferRows[R]> {
  let afterKey: string | null = null;
  for (;;) {
    const rows: TransferRows[R][] = await side.exportRows(repository, afterKey, pageSize);
    for (const row of rows) yield row;
    if (rows.length < pageSize) return;
    afterKey = keyOf(repository, rows[rows.length - 1]!);
  }
}

/** The canonical form of a row: JSON with keys sorted (safe-stable-stringify). */
export function canonicalRow(row: unknown): string {
  return stringify(row) ?? 'null';
}

export type RepositoryDigest = { rows: number; sha256: string };

/** SHA-256 over the canonical JSON of every row (one line each), in key order. */
export async function hashRepository(
  side: StoreTransfer,
  repository: RepositoryName,
  pageSize = DEFAULT_BATCH,
): Promise<RepositoryDigest> {
  const hash = createHash('sha256');
  let rows = 0;
  for await (const row of walkRows(side, repository, pageSize)) {
    hash.update(canonicalRow(row));
    hash.update('\n');
    rows += 1;
  }
  return { rows, sha256: hash.digest('hex') };
}

export type Comparison = {
  repository: RepositoryName;
  source: RepositoryDigest;
  target: RepositoryDigest;
  /** The key of the first row that differs (or is on one side only), when they differ. */
  firstDifference: string | null;
  equal: boolean;
};

/** Walks one repository on both sides in step, hashing each and noting the first row that differs. */
export async function compareRepository(
  source: StoreTransfer,
  target: StoreTransfer,
  repository: RepositoryName,
  pageSize = DEFAULT_BATCH,
): Promise<Comparison> {
  const sides = [walkRows(source, repository, pageSize), walkRows(target, repository, pageSize)] as const;
  const hashes = [createHash('sha256'), createHash('sha256')];
  const counts = [0, 0];
  let firstDifference: string | null = null;
  for (;;) {
    const [a, b] = await Promise.all([sides[0].next(), sides[1].next()]);
    if (a.done && b.done) break;
    const texts = [a.done ? null : canonicalRow(a.value), b.done ? null : canonicalRow(b.value)];
    texts.forEach((text, index) => {
      if (text === null) return;
      hashes[index]!.update(text);
      hashes[index]!.update('\n');
      counts[index]! += 1;
    });
    if (firstDifference === null && texts[0] !== texts[1]) {
      const row = a.done ? b.value : a.value;
      firstDifference = keyOf(repository, row);
    }
  }
  const digests = hashes.map((hash, index) => ({ rows: counts[index]!, sha256: hash.digest('hex') }));
  return {
    repository,
    source: digests[0]!,
    target: digests[1]!,
    firstDifference,
    equal: digests[0]!.sha256 === digests[1]!.sha256 && digests[0]!.rows === digests[1]!.rows,
  };
}

export async function compareStores(
  source: StoreTransfer,
  target: StoreTransfer,
  pageSize = DEFAULT_BATCH,
): Promise<Comparison[]> {
  const results: Comparison[] = [];
  for (const repository of REPOSITORY_NAMES)
    results.push(await compareRepository(source, target, repository, pageSize));
  return results;
}

export function freshProgress(source: string, target: string): MigrateProgress {
  const now = new Date().toISOString();
  return { version: 1, source, target, startedAt: now, updatedAt: now, repositories: {}, finished: false };
}

export type CopyOptions = {
  batch?: number;
  /** Totals per repository, for progress lines (optional). */
  count?: (repository: RepositoryName) => Promise<number>;
  /** Called after each batch is in the target, before the next is read: persist it. */
  save: (progress: MigrateProgress) => void;
  log?: (line: string) => void;
  /** Called after each save with the rows this run has copied so far (the crash hook). */
  afterBatch?: (copiedThisRun: number) => void;
};

export type CopyReport = { rows: number; ms: number; perRepository: Partial<Record<RepositoryName, number>> };

const fmt = (value: number) => value.toLocaleString('en-US');
const rowsOf = (count: number) => `${fmt(count)} row${count === 1 ? '' : 's'}`;
const rate = (rows: number, ms: number) => fmt(Math.round(rows / Math.max(ms / 1000, 0.001)));

/**
 * Copies every repository from where `progress` stands, in REPOSITORY_NAMES order (rows others
 * refer to first), then lets the target finish the import. `progress` is updated in place.
 */
export async function copyStore(
  source: TransferSide,
  target: TransferSide,
  progress: MigrateProgress,
  options: CopyOptions,
): Promise<CopyReport> {
  assertCovers(source, 'source');
  assertCovers(target, 'target');
  const batch = Math.max(1, Math.floor(options.batch ?? DEFAULT_BATCH));
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const report: CopyReport = { rows: 0, ms: 0, perRepository: {} };
  for (const repository of REPOSITORY_NAMES) {
    const state = (progress.repositories[repository] ??= { afterKey: null, rows: 0, done: false });
    if (state.done) {
      log(`${repository}: copied before (${rowsOf(state.rows)})`);
      report.perRepository[repository] = 0;
      continue;
    }
    const total = options.count ? await options.count(repository) : null;
    const of = total === null ? '' : ` / ${fmt(total)}`;
    if (state.rows > 0) log(`${repository}: resuming after ${rowsOf(state.rows)}`);
    const repositoryStarted = Date.now();
    let copied = 0;
    let lastLine = Date.now();
    for (;;) {
      const rows = await source.exportRows(repository, state.afterKey, batch);
      if (rows.length > 0) {
        await target.importRows(repository, rows);
        state.afterKey = keyOf(repository, rows[rows.length - 1]!);
        state.rows += rows.length;
        copied += rows.length;
        report.rows += rows.length;
      }
      if (rows.length < batch) state.done = true;
      progress.updatedAt = new Date().toISOString();
      options.save(progress);
      options.afterBatch?.(report.rows);
      if (state.done) break;
      if (Date.now() - lastLine >= 1_000) {
        lastLine = Date.now();
        log(`${repository}: ${fmt(state.rows)}${of} rows (${rate(copied, Date.now() - repositoryStarted)} rows/s)`);
      }
    }
    const ms = Date.now() - repositoryStarted;
    report.perRepository[repository] = copied;
    log(
      `${repository}: ${rowsOf(copied)} copied in ${(ms / 1000).toFixed(1)} s (${rate(copied, ms)} rows/s)` +
        (copied !== state.rows ? `, ${fmt(state.rows)} in all` : ''),
    );
  }
  if (!progress.finished) {
    log('rebuilding what the target keeps beside the rows (counters, seat and scan slots)…');
    await target.finishImport();
    progress.finished = true;
    progress.updatedAt = new Date().toISOString();
    options.save(progress);
  }
  report.ms = Date.now() - started;
  return report;
}

export function formatComparison(results: Comparison[]): string {
  const header = ['repository', 'source rows', 'target rows', 'source sha256', 'target sha256', ''];
  const lines = results.map((result) => [
    result.repository,
    fmt(result.source.rows),
    fmt(result.target.rows),
    result.source.sha256.slice(0, 16),
    result.target.sha256.slice(0, 16),
    result.equal ? 'ok' : `MISMATCH (first at ${JSON.stringify(result.firstDifference)})`,
  ]);
  const widths = header.map((title, index) => Math.max(title.length, ...lines.map((line) => line[index]!.length)));
  const render = (cells: string[]) =>
    cells
      .map((cell, index) => (index === 1 || index === 2 ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return [render(header), ...lines.map(render)].join('\n');
}

// ─── the command ────────────────────────────────────────────────────────────────────────────────

const USAGE = `Usage: npm run store:migrate -- --to <mongodb-uri> [--db gatehouse] [--data-dir .data]
                                [--batch 1000] [--restart] [--force]

Copies the SQLite store of the data folder into that MongoDB database, then verifies it.
Stop the sync server first. A run that stops half way goes on where it left off when run again.
  --to        the MongoDB connection string (mongodb:// or mongodb+srv://)
  --db        the database name (default gatehouse, as MONGODB_DB)
  --data-dir  the data folder holding gatehouse.db (default GATEHOUSE_DATA_DIR or .data)
  --batch     rows per batch (default ${DEFAULT_BATCH})
  --restart   ignore ${PROGRESS_FILE} and copy everything again
  --force     write into a database that already holds Gatehouse data (same keys are replaced)`;

class UsageError extends Error {}

function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

function loadProgress(file: string): MigrateProgress | null {
  if (!existsSync(file)) return null;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as MigrateProgress;
    return parsed.version === 1 && typeof parsed.repositories === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

function saveProgress(file: string, progress: MigrateProgress): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(progress, null, 2)}\n`);
  renameSync(temporary, file);
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      to: { type: 'string' },
      db: { type: 'string', default: 'gatehouse' },
      'data-dir': { type: 'string' },
      batch: { type: 'string' },
      restart: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const uri = values.to;
  if (!uri || !/^mongodb(\+srv)?:\/\//.test(uri))
    throw new UsageError('--to must be a mongodb:// or mongodb+srv:// URI');
  const dbName = values.db;
  if (!/^[A-Za-z0-9_-]{1,60}$/.test(dbName)) throw new UsageError('--db must be 1–60 letters, digits, _ or -');
  const batch = values.batch === undefined ? DEFAULT_BATCH : Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) throw new UsageError('--batch must be 1–100000');
  const dataDir = path.resolve(values['data-dir'] ?? process.env.GATEHOUSE_DATA_DIR ?? '.data');
  const file = path.join(dataDir, 'gatehouse.db');
  const log = (line: string) => process.stderr.write(`[migrate] ${line}\n`);

  if (!existsSync(file)) {
    log(`There is no SQLite store at ${file}. Point --data-dir at the data folder the server used.`);
    return 1;
  }
  let source: SqliteTransfer;
  try {
    source = openSqliteTransfer({ file });
  } catch (error) {
    const message = (error as Error).message;
    log(`Cannot migrate: ${message}`);
    if (/in use by another Gatehouse server/.test(message)) {
      log('Stop the server first (the store must not change while it is copied), then run this command again.');
    }
    return 1;
  }
  let target: MongoTransfer | null = null;
  try {
    target = await openMongoTransfer({ uri, dbName, log: (line) => log(`  ${line}`) });
    log(`from SQLite ${file}`);
    log(`to MongoDB ${target.location} (${target.capabilities.isolatedUpdates ? 'MongoDB' : 'FerretDB'} capabilities)`);

    const progressFile = path.join(dataDir, PROGRESS_FILE);
    let progress = values.restart ? null : loadProgress(progressFile);
    if (progress && (progress.source !== file || progress.target !== target.location)) {
      log(`${PROGRESS_FILE} is for another migration (${progress.target}); starting over`);
      progress = null;
    }
    if (!progress) {
      if (!values.force && !values.restart && !(await target.isEmpty())) {
        log(
          `The database ${target.location} already holds Gatehouse data. Migrate into an empty database ` +
            '(--db <name>), or pass --force to write over it (rows with the same key are replaced, others stay).',
        );
        return 1;
      }
      progress = freshProgress(file, target.location);
      saveProgress(progressFile, progress);
    } else {
      log(`resuming the migration started ${progress.startedAt} (${PROGRESS_FILE})`);
    }

    const crashAfter = Number(process.env[CRASH_AFTER_ROWS_ENV] ?? '0');
    const copy = await copyStore(source, target, progress, {
      batch,
      count: (repository) => source.count(repository),
      save: (state) => saveProgress(progressFile, state),
      log,
      afterBatch: (copied) => {
        if (crashAfter > 0 && copied >= crashAfter) {
          log(`${CRASH_AFTER_ROWS_ENV}: killing this process after ${copied} rows`);
          process.kill(process.pid, 'SIGKILL');
        }
      },
    });
    log(
      `copied ${rowsOf(copy.rows)} on this run in ${(copy.ms / 1000).toFixed(1)} s (${rate(copy.rows, copy.ms)} rows/s)`,
    );

    log('verifying: SHA-256 of every row of every repository, on both sides…');
    const verifyStarted = Date.now();
    const results = await compareStores(source, target, batch);
    log(`verified in ${((Date.now() - verifyStarted) / 1000).toFixed(1)} s`);
    console.log(formatComparison(results));
    const mismatched = results.filter((result) => !result.equal);
    if (mismatched.length > 0) {
      console.log(
        `\nThe target differs from the source in ${mismatched.map((result) => result.repository).join(', ')}. ` +
          `Do not switch over. Run again with --restart to copy everything again.`,
      );
      return 2;
    }
    const rows = results.reduce((sum, result) => sum + result.source.rows, 0);
    const hasJwtSecret = (await source.exportRows('secrets', null, 100)).some((row) => row.name === 'jwt');
    console.log(
      [
        '',
        `Migration verified: ${fmt(rows)} rows in ${results.length} repositories are equal in MongoDB.`,
        'Start the sync servers on MongoDB with:',
        `  MONGODB_URI=${redact(uri)}`,
        `  MONGODB_DB=${dbName}`,
        hasJwtSecret
          ? 'The JWT secret was copied with the data: leave JWT_SECRET unset, and signed-in devices, refresh\n' +
            'tokens and sync cursors stay valid.'
          : 'The SQLite store holds no JWT secret (that server ran with JWT_SECRET set): set the same JWT_SECRET\n' +
            'on the MongoDB servers, or every device must sign in again.',
        `Do not start a server on ${file} again: what it wrote would not reach MongoDB.`,
      ].join('\n'),
    );
    return 0;
  } finally {
    await target?.close().catch(() => undefined);
    await source.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
        console.error(`${(error as Error).message}\n\n${USAGE}`);
      } else {
        console.error(`[migrate] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        console.error('[migrate] Run the command again: it goes on from where it stopped.');
      }
      process.exit(1);
    },
  );
}
