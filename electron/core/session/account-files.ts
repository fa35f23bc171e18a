import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';

/** An account's folder in the data folder: `<dataDir>/accounts/<accountKey>`. */
export function accountDir(dataDir: string, accountKey: string): string {
  return path.join(dataDir, 'accounts', accountKey);
}

/** An account's SQLite store: `gatehouse.db` in its folder. */
export function accountFile(dataDir: string, accountKey: string): string {
  return path.join(accountDir(dataDir, accountKey), 'gatehouse.db');
}

/**
 * Moves a damaged account store (with its `-wal` and `-shm`) aside, to
 * `<account folder>/damaged/gatehouse-<ISO time, : and . as ->.db`; returns that path. It is kept
 * so what can still be read from it (unsent mutations) is salvaged.
 */
export function moveDamagedStoreAside(dataDir: string, accountKey: string, now: number): string {
  const file = accountFile(dataDir, accountKey);
  const aside = path.join(
    accountDir(dataDir, accountKey),
    'damaged',
    `gatehouse-${new Date(now).toISOString().replace(/[:.]/g, '-')}.db`,
  );
  mkdirSync(path.dirname(aside), { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
  }
  return aside;
}
