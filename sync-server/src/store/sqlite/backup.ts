import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { GATEHOUSE_APPLICATION_ID, isSqliteFile, MARKER_TABLE, openDatabase, takeProcessLock } from './database';
import { sqliteCode } from './errors';
import { LATEST_SCHEMA_VERSION } from './migrations/index';

/**
 * Online backup and restore of the embedded store (one SQLite file).
 *
 * Backup reads through a connection of its own with SQLite's backup API while the server keeps
 * running: in WAL mode a reader neither waits for the writer nor holds it up, and the server's
 * process lock is a sidecar file a reader never touches. The copy is one consistent snapshot (one
 * backup step: a step interrupted by another connection's write would start over, and under
 * steady writes never finish), written to a temporary name, checked, made self-contained
 * (rollback journal, no -wal to carry) and renamed into place.
 *
 * Restore refuses while a server holds the store (it takes the same lock a server takes, so no
 * server can start while it works), and refuses a file that is not a Gatehouse store or was
 * written by a newer Gatehouse (the start-up guard, on a copy). It then replaces the store file
 * atomically: copy to a temporary name beside it, open it as the server would (migrating an older
 * backup), fsync, set the previous file aside, rename.
 */

/** Pages per backup step: all of them (see above). */
const ALL_PAGES = 0x7fffffff;

export type StoreFileFacts = {
  file: string;
  schemaVersion: number;
  pageSize: number;
  pages: number;
  bytes: number;
  /** Rows per table. */
  tables: Record<string, number>;
};

export type BackupReport = StoreFileFacts & { source: string; ms: number };

export type RestoreReport = StoreFileFacts & {
  from: string;
  /** The migrations the restored file needed (an older backup), applied before it was put in place. */
  migrated: boolean;
  /** Where the replaced store file was kept, if there was one. */
  previous: string | null;
  ms: number;
};

function notAStore(name: string, why: string): Error {
  return new Error(`${name} is not a Gatehouse store: ${why}.`);
}

/** Header check before SQLite opens anything: a foreign file is refused without being touched. */
function assertSqliteFile(file: string, name: string): void {
  let size: number;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) throw notAStore(name, 'it is not a file');
    size = stats.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${name} does not exist.`);
    throw error;
  }
  if (!isSqliteFile(file, size)) throw notAStore(name, 'it is not an SQLite database');
}

/**
 * The start-up guard's checks on an open connection: Gatehouse's application_id and marker table,
 * a schema version this code knows. `name` is how messages call the file.
 */
function assertGatehouse(db: Database.Database, name: string): number {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  if (applicationId !== GATEHOUSE_APPLICATION_ID) {
    throw notAStore(
      name,
      `it is an SQLite database of another application (application_id ${applicationId}, expected ${GATEHOUSE_APPLICATION_ID})`,
    );
  }
  const marker = db
    .prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = ?`)
    .get(MARKER_TABLE) as {
    n: number;
  };
  if (marker.n === 0) throw notAStore(name, `it has Gatehouse's application_id but no ${MARKER_TABLE} table (damaged)`);
  return db.pragma('user_version', { simple: true }) as number;
}

function assertNotNewer(version: number, name: string): void {
  if (version > LATEST_SCHEMA_VERSION) {
    throw new Error(
      `${name} was written by a newer Gatehouse server (schema version ${version}; this version knows schema ` +
        `versions up to ${LATEST_SCHEMA_VERSION}). Restore it with that newer version, or pick an older backup.`,
    );
  }
}

function factsOf(db: Database.Database, file: string, version: number): StoreFileFacts {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const names = db
    .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
    .pluck()
    .all() as string[];
  const tables: Record<string, number> = {};
  for (const table of names) {
    tables[table] = (db.prepare(`SELECT count(*) AS n FROM "${table.replaceAll('"', '""')}"`).get() as { n: number }).n;
  }
  return { file, schemaVersion: version, pageSize, pages, bytes: pageSize * pages, tables };
}

function quickCheck(db: Database.Database, name: string): void {
  const result = db.pragma('quick_check', { simple: true }) as string;
  if (result !== 'ok') throw new Error(`${name} is damaged (quick_check: ${result}).`);
}

/** Checks a store file and describes it (read only; a WAL-mode file may get its -shm beside it). */
export function inspectStoreFile(file: string, name = file): StoreFileFacts {
  assertSqliteFile(file, name);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const version = assertGatehouse(db, name);
    assertNotNewer(version, name);
    quickCheck(db, name);
    return factsOf(db, path.resolve(file), version);
  } catch (error) {
    throw describe(error, name);
  } finally {
    db.close();
  }
}

function describe(error: unknown, name: string): Error {
  const code = sqliteCode(error);
  if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT')) {
    return notAStore(name, `SQLite cannot read it (${(error as Error).message})`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function fsyncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename durable: fsync of the directory that holds it (not possible on every platform). */
function fsyncDirectory(directory: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open a directory; its renames are durable by then.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function removeWithSidecars(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal', '.lock']) rmSync(`${file}${suffix}`, { force: true });
}

/**
 * Copies the store `file` to `to` while a server may be using it. Returns what was copied.
 * Refuses a source that is not a Gatehouse store, and a destination that is the store itself.
 */
export async function backupSqliteStore(options: {
  file: string;
  to: string;
  onProgress?: (progress: { totalPages: number; remainingPages: number }) => void;
}): Promise<BackupReport> {
  const started = Date.now();
  const file = path.resolve(options.file);
  const to = path.resolve(options.to);
  if ([file, `${file}-wal`, `${file}-shm`, `${file}.lock`].includes(to)) {
    throw new Error(`The backup cannot be written over the store itself (${to}); choose another file.`);
  }
  if (!existsSync(path.dirname(to))) throw new Error(`The folder of ${to} does not exist.`);
  assertSqliteFile(file, `The store ${file}`);
  // Its own connection, no lock: the server's process lock is a sidecar a reader never takes.
  const source = new Database(file, { fileMustExist: true });
  const partial = `${to}.partial-${process.pid}`;
  removeWithSidecars(partial);
  try {
    source.pragma('busy_timeout = 5000');
    assertGatehouse(source, `The store ${file}`);
    await source.backup(partial, {
      progress: (progress) => {
        options.onProgress?.(progress);
        return ALL_PAGES;
      },
    });
  } catch (error) {
    removeWithSidecars(partial);
    throw describe(error, `The store ${file}`);
  } finally {
    source.close();
  }
  let facts: StoreFileFacts;
  try {
    const copy = new Database(partial, { fileMustExist: true });
    try {
      // A self-contained file: no -wal to carry along (a restore turns WAL on again).
      copy.pragma('journal_mode = DELETE');
      const version = assertGatehouse(copy, `The backup ${partial}`);
      quickCheck(copy, `The backup ${partial}`);
      facts = factsOf(copy, to, version);
    } finally {
      copy.close();
    }
    fsyncFile(partial);
    renameSync(partial, to);
    fsyncDirectory(path.dirname(to));
  } catch (error) {
    removeWithSidecars(partial);
    throw error;
  }
  return { ...facts, source: file, ms: Date.now() - started };
}

/**
 * The lock a server holds on its store for its whole life (database.ts: `<file>.lock` in an
 * exclusive transaction). Taking it here refuses a restore under a running server and keeps a
 * server from starting until the restore is done.
 */
function takeStoreLock(file: string): Database.Database {
  return takeProcessLock(file, {
    busy: (lockFile) =>
      new Error(
        `The store ${file} is in use by a running Gatehouse server (it holds ${lockFile}). ` +
          'Stop the server first, then restore.',
      ),
    failed: (error) => error,
  });
}

/**
 * Replaces the store `file` with the backup `from`. The store must not be in use. The previous
 * file, if any, is kept as `<file>.pre-restore` (with its WAL, so it stays whole).
 */
export async function restoreSqliteStore(options: { from: string; file: string }): Promise<RestoreReport> {
  const started = Date.now();
  const from = path.resolve(options.from);
  const file = path.resolve(options.file);
  if (from === file) throw new Error(`${from} is the store itself; restore from a backup file.`);
  const name = `The backup ${from}`;
  assertSqliteFile(from, name);
  mkdirSync(path.dirname(file), { recursive: true });
  // A refused restore leaves the folder as it found it: a lock file it created goes again.
  const lockCreated = !existsSync(`${file}.lock`);
  const lock = takeStoreLock(file);
  let restored = false;
  const staging = `${file}.restore-${process.pid}`;
  removeWithSidecars(staging);
  try {
    copyFileSync(from, staging);
    // The start-up guard, on the copy (the backup itself is never written to): identity, version, damage.
    let version: number;
    const check = new Database(staging, { fileMustExist: true });
    try {
      version = assertGatehouse(check, name);
      assertNotNewer(version, name);
      quickCheck(check, name);
    } catch (error) {
      throw describe(error, name);
    } finally {
      check.close();
    }
    // Opened as a server opens it: an older backup is migrated here, before it takes the store's place.
    const opened = openDatabase({ file: staging, backgroundCheckpoints: false });
    let facts: StoreFileFacts;
    try {
      facts = factsOf(opened.db, file, opened.db.pragma('user_version', { simple: true }) as number);
    } finally {
      await opened.close();
    }
    for (const suffix of ['-wal', '-shm', '.lock']) rmSync(`${staging}${suffix}`, { force: true });
    fsyncFile(staging);

    let previous: string | null = null;
    if (existsSync(file)) {
      previous = `${file}.pre-restore`;
      removeWithSidecars(previous);
      // A second name for the old file, then its WAL beside that name: the old store stays whole
      // there, and gatehouse.db is replaced in one rename below.
      try {
        linkSync(file, previous);
      } catch {
        copyFileSync(file, previous);
      }
      if (existsSync(`${file}-wal`)) renameSync(`${file}-wal`, `${previous}-wal`);
    }
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    renameSync(staging, file);
    restored = true;
    fsyncDirectory(path.dirname(file));
    return { ...facts, from, migrated: version < facts.schemaVersion, previous, ms: Date.now() - started };
  } catch (error) {
    removeWithSidecars(staging);
    throw error;
  } finally {
    // Unlinked while still held (nothing was written): a server starting meanwhile makes its own.
    if (!restored && lockCreated) {
      for (const suffix of ['.lock', '.lock-journal']) rmSync(`${file}${suffix}`, { force: true });
    }
    lock.close();
  }
}
