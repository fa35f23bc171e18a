import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import {
  REPOSITORY_NAMES,
  type RepositoryName,
  type StoreTransfer,
  type TransferRows,
} from '../../sync-server/src/store/transfer';
import { DEFAULT_BATCH, keyOf } from './copy';
import { fmt } from './format';

/**
 * Checking a migration: every repository walked on both sides in key order, each row's canonical
 * JSON hashed (SHA-256), and the first row that differs named.
 */

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

/** Every repository compared, in REPOSITORY_NAMES order. */
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

/** The comparison as a table: rows and the first 16 hex digits of each side's hash, `ok` or MISMATCH. */
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
