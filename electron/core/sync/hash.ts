import { createHash } from 'node:crypto';

export type HashedRow = { type: string; id: string; doc: unknown };

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** Order- and key-order-independent hash of a bucket's live rows; equal content gives equal hashes. */
export function canonicalBucketHash(rows: HashedRow[]): string {
  const sorted = rows
    .filter((row) => row.doc !== null)
    .map((row) => JSON.stringify([row.type, row.id, canonical(row.doc)]))
    .sort();
  return createHash('sha256').update(sorted.join('\n')).digest('hex');
}
