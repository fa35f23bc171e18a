import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { RepositoryName } from '../../sync-server/src/store/transfer';

/**
 * Where a migration stands, saved in `<data-dir>/migrate-progress.json` after each batch so a
 * rerun goes on from there.
 */

export const PROGRESS_FILE = 'migrate-progress.json';

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

/** A progress to start from: nothing copied yet. */
export function freshProgress(source: string, target: string): MigrateProgress {
  const now = new Date().toISOString();
  return { version: 1, source, target, startedAt: now, updatedAt: now, repositories: {}, finished: false };
}

/** The saved progress, or null when there is none or it is not one this version reads. */
export function loadProgress(file: string): MigrateProgress | null {
  if (!existsSync(file)) return null;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as MigrateProgress;
    return parsed.version === 1 && typeof parsed.repositories === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

/** Writes the progress beside the store, whole or not at all (a temporary file renamed over it). */
export function saveProgress(file: string, progress: MigrateProgress): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(progress, null, 2)}\n`);
  renameSync(temporary, file);
}
