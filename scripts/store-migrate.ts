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
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openMongoTransfer, type MongoTransfer } from '../sync-server/src/store/mongodb/index';
import { openSqliteTransfer, type SqliteTransfer } from '../sync-server/src/store/sqlite/index';
import { copyStore, DEFAULT_BATCH } from './store-migrate/copy';
import { fmt, rate, rowsOf } from './store-migrate/format';
import { freshProgress, loadProgress, PROGRESS_FILE, saveProgress } from './store-migrate/progress';
import { compareStores, formatComparison } from './store-migrate/verify';

// The copy and its check live in scripts/store-migrate/; re-exported for the store tests that drive them.
export * from './store-migrate/copy';
export * from './store-migrate/progress';
export * from './store-migrate/verify';

/** Test hook: SIGKILL this process once a run has copied at least this many rows (progress saved). */
const CRASH_AFTER_ROWS_ENV = 'GATEHOUSE_MIGRATE_CRASH_AFTER_ROWS';

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
