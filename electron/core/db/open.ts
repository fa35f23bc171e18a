import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { GatehouseError } from '@gatehouse/protocol';
import Database from 'better-sqlite3';
import { migrate } from './migrations/index';

export type Db = Database.Database;

/** SQLite's own checkpoint threshold (pages), a fallback behind AccountStore's timed checkpoints. */
export const WAL_AUTOCHECKPOINT_PAGES = 4000;

const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE']);
const FULL_CODES = new Set(['SQLITE_FULL', 'SQLITE_IOERR_WRITE']);

function sqliteCode(error: unknown): string | null {
  return error instanceof Database.SqliteError ? error.code : null;
}

/** SQLite failures the user can act on become GatehouseErrors with a clear way out; others pass through. */
export function translateSqliteError(error: unknown, file: string): unknown {
  const code = sqliteCode(error);
  if (code && CORRUPT_CODES.has(code)) return corruptError(file, (error as Error).message);
  if (code && FULL_CODES.has(code)) {
    return new GatehouseError(
      'STORAGE_FULL',
      'The disk is full. Nothing was saved from this action; free some space and try again.',
    );
  }
  return error;
}

function corruptError(file: string, detail: string): GatehouseError {
  return new GatehouseError(
    'LOCAL_STORE_CORRUPT',
    `The local database is damaged (${detail}). Recover moves it aside (it is kept) and downloads everything again; unsent changes that can still be read are carried over.`,
    [{ path: file, message: detail }],
  );
}

/**
 * Opens (creating if needed) one SQLite file: WAL, foreign keys, a quick integrity check, then
 * migrations. synchronous=NORMAL in WAL survives a process crash (kill -9) without fsync on every
 * commit, which keeps a scan's write well under a millisecond.
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Db {
  mkdirSync(path.dirname(file), { recursive: true });
  let db: Db | null = null;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    // 16 MB of WAL before a commit checkpoints itself; AccountStore checkpoints every few seconds.
    if (!options.readonly) db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    // After an initial sync (which checkpoints once, at its end) the WAL file shrinks back to this.
    if (!options.readonly) db.pragma(`journal_size_limit = ${64 * 2 ** 20}`);
    // Freed pages and cells are zeroed, not left holding their bytes, so an erased attendee's name
    // leaves the file (bookings/erasure-scrub.ts). Per connection. Its cost on an initial sync is
    // within the noise (scripts/bench/secure-delete.ts: CPU +0–5 %, WAL +4 % at 20,000 bookings).
    db.pragma('secure_delete = ON');
    db.pragma('busy_timeout = 5000');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw corruptError(file, String(check));
    if (!options.readonly) migrate(db);
    return db;
  } catch (error) {
    db?.close();
    throw translateSqliteError(error, file);
  }
}
