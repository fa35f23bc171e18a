import { EventEmitter } from 'node:events';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { foldForSearch } from '@gatehouse/protocol';
import { storeErrors } from '../errors';
import type { CommittedChange } from '../port';
import { Checkpointer } from './checkpointer';
import { sqliteCode, translateError } from './errors';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations/index';

/** `PRAGMA application_id` of a Gatehouse sync-server file: 'GHSS'. Set by migration 1. */
export const GATEHOUSE_APPLICATION_ID = 0x47485353;
export const MARKER_TABLE = 'gatehouse_meta';
const SQLITE_HEADER = 'SQLite format 3\0';

/** Where the adapter reports start-up facts and listener failures (pino's shape). */
export type SqliteLog = { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };

export type OpenDatabaseOptions = {
  file: string;
  log?: SqliteLog | undefined;
  /**
   * Test hook: `PRAGMA max_page_count` after migrations, clamped by SQLite to the pages the file
   * already holds. Lets a test run the database out of space without filling a disk.
   */
  maxPageCount?: number | undefined;
  /** Checkpoint the WAL from a worker thread (default) rather than inside commits on the event loop. */
  backgroundCheckpoints?: boolean | undefined;
};

/**
 * With background checkpoints, SQLite's own auto-checkpoint runs in a commit only every 80 MB of
 * WAL. Under steady writes the worker never finds the WAL idle, so it cannot start it over from the
 * beginning; this one can, and by then the worker has copied all but the last few milliseconds.
 */
const FALLBACK_AUTOCHECKPOINT_PAGES = 20_000;
/** A burst may grow the WAL file; after a restart it is cut back to this (bytes). */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** SQLite's default, back in force when the background checkpointer cannot run. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1_000;

const silentLog: SqliteLog = { info: () => {}, warn: () => {} };

/**
 * One open store file: the connection, the process lock, the transaction helper that defers
 * change notifications to after commit, and the async boundary every repository method crosses.
 */
export class SqliteDatabase {
  readonly db: Database.Database;
  /** Absolute path of the database file. */
  readonly file: string;
  readonly log: SqliteLog;
  private readonly directory: string;
  private readonly lock: Database.Database;
  private readonly checkpointer: Checkpointer | null;
  private readonly committed = new EventEmitter();
  /** Changes appended by the transaction in progress; announced once it commits. */
  private pending: CommittedChange[] = [];
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;
  private closed = false;

  constructor(
    db: Database.Database,
    lock: Database.Database,
    file: string,
    log: SqliteLog,
    backgroundCheckpoints: boolean,
  ) {
    this.db = db;
    this.lock = lock;
    this.file = file;
    this.directory = path.dirname(file);
    this.log = log;
    this.committed.setMaxListeners(0);
    // One wrapper for every transaction: better-sqlite3 begins a transaction when none is open
    // and a savepoint inside one, and rolls back (to it) when the function throws.
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
    this.checkpointer = backgroundCheckpoints ? this.startCheckpointer() : null;
  }

  private startCheckpointer(): Checkpointer | null {
    const inCommits = (reason: string) => {
      this.log.warn({ file: this.file, reason }, 'background WAL checkpoints stopped; checkpointing in commits');
      if (!this.closed) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    };
    try {
      return new Checkpointer(this.file, {
        onError: (message) => this.log.warn({ file: this.file, error: message }, 'background WAL checkpoint failed'),
        onFailure: inCommits,
      });
    } catch (error) {
      inCommits(String(error));
      return null;
    }
  }

  /**
   * Runs `fn` atomically: a transaction, or a savepoint when called inside one (then a throw undoes
   * only `fn`'s writes, and its changes are not announced). Synchronous: nothing else runs meanwhile.
   */
  transaction<T>(fn: () => T): T {
    const mark = this.pending.length;
    try {
      if (this.db.inTransaction) return this.runInTransaction(fn) as T;
      // IMMEDIATE: take the write lock up front, so a read-then-write never fails to upgrade
      // (only matters when another connection, e.g. the sqlite3 shell, writes too).
      return this.runInTransaction.immediate(fn) as T;
    } catch (error) {
      this.pending.length = mark;
      throw error;
    }
  }

  /** Records that a change was appended in the current transaction (see ChangeLog.append). */
  noteAppended(change: CommittedChange): void {
    this.pending.push(change);
  }

  /**
   * The async boundary of a writing repository method: one transaction, database failures
   * translated to GatehouseErrors, and — after commit — one poke per bucket with its highest seq.
   */
  async write<T>(fn: () => T): Promise<T> {
    this.assertOpen();
    let result: T;
    try {
      result = this.transaction(fn);
    } catch (error) {
      throw translateError(error, this.directory);
    }
    this.announce();
    return result;
  }

  /** The async boundary of a reading repository method: database failures translated. */
  async read<T>(fn: () => T): Promise<T> {
    this.assertOpen();
    try {
      return fn();
    } catch (error) {
      throw translateError(error, this.directory);
    }
  }

  /** Subscribes to commits of this process; a throwing listener is logged and does not affect others. */
  watch(listener: (change: CommittedChange) => void): () => void {
    const guarded = (change: CommittedChange) => {
      try {
        listener(change);
      } catch (error) {
        this.log.warn({ err: error, change }, 'change listener failed');
      }
    };
    this.committed.on('committed', guarded);
    return () => {
      this.committed.off('committed', guarded);
    };
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Stops the checkpointer, closes the database (which checkpoints and removes the WAL, being the
   * last connection), then releases the process lock. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.committed.removeAllListeners();
    try {
      await this.checkpointer?.stop();
    } finally {
      try {
        this.db.close();
      } finally {
        this.lock.close();
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw storeErrors.unavailable();
  }

  private announce(): void {
    if (this.pending.length === 0) return;
    const heads = new Map<string, number>();
    for (const change of this.pending) heads.set(change.bucket, Math.max(heads.get(change.bucket) ?? 0, change.seq));
    this.pending = [];
    for (const [bucket, seq] of heads) this.committed.emit('committed', { bucket, seq } satisfies CommittedChange);
  }
}

/**
 * Opens (creating if needed) a store file: takes the one-process lock, checks that the file is a
 * Gatehouse sync-server database no newer than this code, sets the pragmas and applies pending
 * migrations. Throws an Error naming the file when it is in use, foreign, damaged or too new.
 */
export function openDatabase(options: OpenDatabaseOptions): SqliteDatabase {
  const file = path.resolve(options.file);
  const log = options.log ?? silentLog;
  mkdirSync(path.dirname(file), { recursive: true });
  assertSqliteHeader(file);
  const lock = acquireProcessLock(file);
  let db: Database.Database | null = null;
  try {
    db = new Database(file);
    // Identity before any pragma that writes: a foreign file is left exactly as it was.
    const state = inspect(db, file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // 32 MiB of page cache (the default is 2): the hot part of a 100,000-booking event — its
    // bookings' index, words and log tail — stays in memory. Larger costs more per commit (SQLite
    // scans its page hash when a commit truncates the cache) than it saves. No mmap_size: a 1 GiB
    // map saved nothing measurable on a push's cold booking lookups (scripts/bench/server-apply.ts,
    // 2026-12-02) and its pages count in the server's RSS.
    db.pragma('cache_size = -32768');
    db.pragma('temp_store = MEMORY');
    const backgroundCheckpoints = options.backgroundCheckpoints ?? true;
    if (backgroundCheckpoints) db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    const applied = migrate(db, state.version);
    if (options.maxPageCount !== undefined)
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxPageCount))}`);
    registerFunctions(db);
    log.info(
      { file, schemaVersion: LATEST_SCHEMA_VERSION, created: state.version === 0, migrationsApplied: applied },
      'SQLite store opened',
    );
    return new SqliteDatabase(db, lock, file, log, backgroundCheckpoints);
  } catch (error) {
    db?.close();
    lock.close();
    throw describeOpenError(error, file);
  }
}

/** A file that exists and is not empty must start with SQLite's header; say so before SQLite does. */
function assertSqliteHeader(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return; // does not exist yet: created below
  }
  if (size === 0) return;
  if (!isSqliteFile(file, size)) {
    throw new Error(
      `Cannot open the Gatehouse database ${file}: it is not an SQLite database (foreign or corrupt file). ` +
        'Point the server at another file, or restore this one from a backup.',
    );
  }
}

/** Whether the file of `size` bytes starts with SQLite's header (and is long enough to hold a page). */
export function isSqliteFile(file: string, size: number): boolean {
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  return size >= 512 && header.toString('latin1') === SQLITE_HEADER;
}

/** How a caller of takeProcessLock words its refusals: another process holds the lock (`busy`), or any other failure. */
export type LockRefusals = {
  busy: (lockFile: string) => Error;
  failed: (error: unknown, lockFile: string) => unknown;
};

/**
 * The lock: a sidecar `<file>.lock` database held in an exclusive transaction for the life of the
 * store. It is SQLite's own OS lock, so a second process (or a second open in this one) fails at
 * once, a kill -9 releases it instantly, and the main file stays readable by an online backup.
 */
export function takeProcessLock(file: string, refusals: LockRefusals): Database.Database {
  const lockFile = `${file}.lock`;
  const lock = new Database(lockFile);
  try {
    lock.pragma('busy_timeout = 0');
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
    return lock;
  } catch (error) {
    lock.close();
    const code = sqliteCode(error);
    if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')) throw refusals.busy(lockFile);
    throw refusals.failed(error, lockFile);
  }
}

/** The lock of a server's open. */
function acquireProcessLock(file: string): Database.Database {
  return takeProcessLock(file, {
    busy: (lockFile) =>
      new Error(
        `Cannot open the Gatehouse database ${file}: ${file} is in use by another Gatehouse server process ` +
          `(it holds ${lockFile}). Only one server may use a database file; stop the other one or use another file.`,
      ),
    failed: (error, lockFile) =>
      new Error(`Cannot open the Gatehouse database ${file}: could not take its lock ${lockFile} (${String(error)})`),
  });
}

type FileState = { version: number };

function inspect(db: Database.Database, file: string): FileState {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const objects = (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n;
  if (applicationId === 0 && version === 0 && objects === 0) return { version: 0 };
  if (applicationId !== GATEHOUSE_APPLICATION_ID) {
    throw new Error(
      `Cannot open the Gatehouse database ${file}: it is an SQLite database of another application ` +
        `(application_id ${applicationId}, expected ${GATEHOUSE_APPLICATION_ID}), not a Gatehouse sync-server file.`,
    );
  }
  const marker = db
    .prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = '${MARKER_TABLE}'`)
    .get() as { n: number };
  if (marker.n === 0) {
    throw new Error(
      `Cannot open the Gatehouse database ${file}: it carries Gatehouse's application_id but has no ` +
        `${MARKER_TABLE} table; it is damaged or not a Gatehouse sync-server file.`,
    );
  }
  if (version > LATEST_SCHEMA_VERSION) {
    throw new Error(
      `Cannot open the Gatehouse database ${file}: it was written by a newer Gatehouse server ` +
        `(schema version ${version}; this server knows schema versions up to ${LATEST_SCHEMA_VERSION}). ` +
        'Run the newer server, or restore a backup taken before the upgrade.',
    );
  }
  return { version };
}

/** Applies the migrations above `from`, each in its own transaction with its `user_version`. */
function migrate(db: Database.Database, from: number): number {
  let applied = 0;
  for (const migration of MIGRATIONS) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      migration.run?.(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
    applied += 1;
  }
  return applied;
}

/** SQL functions the queries use. */
function registerFunctions(db: Database.Database): void {
  // Substring for `q` filters, folded as search words are (case, accents, ß, æ …): SQLite's lower()
  // and LIKE fold ASCII only, while names and venues are often not ASCII. `needle` comes folded (foldForSearch) from the caller, once per query; the haystack is folded here.
  db.function('gh_contains', { deterministic: true }, (haystack: unknown, needle: unknown) =>
    typeof haystack === 'string' && typeof needle === 'string' && foldForSearch(haystack).includes(needle) ? 1 : 0,
  );
}

/** Errors of opening, named by file; the ones we wrote ourselves already are. */
function describeOpenError(error: unknown, file: string): unknown {
  if (error instanceof Error && error.message.includes(file)) return error;
  const code = sqliteCode(error);
  if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT')) {
    return new Error(
      `Cannot open the Gatehouse database ${file}: the file is corrupt or not an SQLite database (${(error as Error).message}).`,
    );
  }
  return new Error(
    `Cannot open the Gatehouse database ${file}: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
    },
  );
}
