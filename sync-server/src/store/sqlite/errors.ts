import { statfsSync } from 'node:fs';
import { GatehouseError } from '@gatehouse/protocol';
import Database from 'better-sqlite3';
import { storeErrors } from '../errors';

/**
 * Below this much free space, an I/O error on write is taken for a full disk. SQLite reports
 * ENOSPC on a plain write as SQLITE_FULL, but on other paths (fsync, the WAL index, a journal) as
 * a generic SQLITE_IOERR_*, and better-sqlite3 does not expose errno: the disk itself tells.
 */
const NEARLY_FULL_BYTES = 32 * 1024 * 1024;

function freeBytes(directory: string): number | null {
  try {
    const stats = statfsSync(directory);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

/** The SQLite result code of a driver error (`SQLITE_BUSY`, `SQLITE_IOERR_WRITE`, …), or null. */
export function sqliteCode(error: unknown): string | null {
  return error instanceof Database.SqliteError ? error.code : null;
}

/**
 * Turns a failure of the database itself into what a client can act on: full disk →
 * SERVER_STORAGE_FULL, busy / locked / unreachable / closed → SERVICE_UNAVAILABLE (both 503,
 * retried by devices; a file damaged while running is the same to a client — the server logs every
 * 5xx, and start-up refuses a damaged file by name). GatehouseErrors (the store's own, or a
 * callback's) and anything else pass through unchanged: a constraint failure the store did not
 * foresee is a bug (every client-reachable constraint is checked first) and stays a 500.
 * `directory` is the database's directory, to tell ENOSPC behind an I/O error.
 */
export function translateError(error: unknown, directory: string): unknown {
  if (error instanceof GatehouseError) return error;
  const code = sqliteCode(error);
  if (code === null) {
    // better-sqlite3's answer to any use after close().
    if (error instanceof TypeError && /database connection is not open/i.test(error.message)) {
      return storeErrors.unavailable();
    }
    return error;
  }
  if (code === 'SQLITE_FULL') return storeErrors.full();
  if (code.startsWith('SQLITE_IOERR')) {
    const free = freeBytes(directory);
    return free !== null && free < NEARLY_FULL_BYTES ? storeErrors.full() : storeErrors.unavailable();
  }
  if (
    code.startsWith('SQLITE_BUSY') ||
    code.startsWith('SQLITE_LOCKED') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_NOMEM' ||
    code === 'SQLITE_CORRUPT' ||
    code === 'SQLITE_NOTADB' ||
    code === 'SQLITE_PROTOCOL' ||
    code === 'SQLITE_INTERRUPT'
  ) {
    return storeErrors.unavailable();
  }
  return error;
}
