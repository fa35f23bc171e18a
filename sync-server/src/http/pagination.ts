import { GatehouseError } from '@gatehouse/protocol';
import type { Filter } from 'mongodb';
import { z } from 'zod';

/**
 * Keyset pagination on (sortValue, _id): stable under inserts, unlike skip/limit, and each page is
 * one indexed range scan. The cursor is the last row's key, base64url JSON; a cursor that does not
 * decode to exactly that shape is refused rather than passed into a query.
 */
const cursorPayloadSchema = z.strictObject({ v: z.union([z.string().max(300), z.number()]), id: z.string().max(64) });
export type CursorKey = z.infer<typeof cursorPayloadSchema>;

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string): CursorKey {
  try {
    return cursorPayloadSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new GatehouseError('CURSOR_INVALID', 'The cursor is not valid; start again without one');
  }
}

export function afterCursorFilter<T>(field: string, direction: 1 | -1, cursor: string | undefined): Filter<T> {
  if (!cursor) return {};
  const key = decodeCursor(cursor);
  const op = direction === 1 ? '$gt' : '$lt';
  return { $or: [{ [field]: { [op]: key.v } }, { [field]: key.v, _id: { [op]: key.id } }] } as Filter<T>;
}

/** Fetches limit+1 rows to know whether another page exists without a count query. */
export function toPage<Row extends { _id: string }, Item>(
  rows: Row[],
  limit: number,
  sortValue: (row: Row) => string | number,
  toItem: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(toItem),
    nextCursor: rows.length > limit && last ? encodeCursor({ v: sortValue(last), id: last._id }) : null,
  };
}
