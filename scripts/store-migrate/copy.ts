import {
  REPOSITORY_NAMES,
  TRANSFER_KEY,
  type RepositoryName,
  type StoreTransfer,
  type TransferRows,
} from '../../sync-server/src/store/transfer';
import { fmt, rate, rowsOf } from './format';
import type { MigrateProgress } from './progress';

/** A store as the migration sees it: the transfer, and which repositories it can export and import. */
export type TransferSide = StoreTransfer & { readonly repositories: readonly RepositoryName[] };

/** Rows read and written at a time, unless `--batch` says otherwise. */
export const DEFAULT_BATCH = 1_000;

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
