import { createHash } from 'node:crypto';
import { parseBucket } from '@gatehouse/protocol';
import type { Db } from '../db/open';
import { TABLE_OF_TYPE, type SyncedTable } from '../db/rows';

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

/** The change type of each synced table: TABLE_OF_TYPE read backwards. */
const TYPE_OF_TABLE = Object.fromEntries(Object.entries(TABLE_OF_TYPE).map(([type, table]) => [table, type])) as Record<
  SyncedTable,
  string
>;

/** A bucket's live rows on a device as its UI sees them: what `canonicalBucketHash` hashes. */
export function bucketRowsOf(db: Db, bucket: string): HashedRow[] {
  const parsed = parseBucket(bucket);
  if (!parsed) return [];
  const rows: HashedRow[] = [];
  const tables: SyncedTable[] =
    parsed.kind === 'user' ? ['users'] : ['events', 'bookings', 'checkins', 'alerts', 'ticket_keys', 'refusals'];
  for (const table of tables) {
    const where = table === 'users' || table === 'events' ? 'id = ?' : 'event_id = ?';
    const found = db.prepare(`SELECT id, doc FROM ${table} WHERE ${where} AND doc IS NOT NULL`).all(parsed.id) as {
      id: string;
      doc: string;
    }[];
    for (const row of found) rows.push({ type: TYPE_OF_TABLE[table], id: row.id, doc: JSON.parse(row.doc) });
  }
  return rows;
}
