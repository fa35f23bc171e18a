import { GatehouseError } from '@gatehouse/protocol';
import { z } from 'zod';
import type { After } from '../store/port';

/**
 * Keyset pagination on (sortValue, id): stable under inserts, unlike skip/limit, and each page is
 * one indexed range read. The cursor is the last row's key, base64url JSON; a cursor that does not
 * decode to exactly that shape is refused (CURSOR_INVALID) rather than passed into a query.
 */
const cursorPayloadSchema = z.strictObject({ v: z.union([z.string().max(300), z.number()]), id: z.string().max(200) });

export function encodeCursor(after: After): string {
  return Buffer.from(JSON.stringify({ v: after.value, id: after.id })).toString('base64url');
}

function decode(cursor: string): After {
  try {
    const payload = cursorPayloadSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { value: payload.v, id: payload.id };
  } catch {
    throw new GatehouseError('CURSOR_INVALID', 'The cursor is not valid; start again without one');
  }
}

/** The position a cursor names, with the sort value of the type the list sorts by. */
export function afterOf(cursor: string | undefined, kind: 'string'): After<string> | undefined;
export function afterOf(cursor: string | undefined, kind: 'number'): After<number> | undefined;
export function afterOf(cursor: string | undefined, kind: 'string' | 'number'): After | undefined {
  if (!cursor) return undefined;
  const after = decode(cursor);
  if (typeof after.value !== kind) {
    throw new GatehouseError('CURSOR_INVALID', 'The cursor is not valid; start again without one');
  }
  return after;
}

/** A page from `limit + 1` rows: the extra row only says that another page exists. */
export function toPage<Row extends { id: string }, Item>(
  rows: Row[],
  limit: number,
  sortValue: (row: Row) => string | number,
  toItem: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(toItem),
    nextCursor: rows.length > limit && last ? encodeCursor({ value: sortValue(last), id: last.id }) : null,
  };
}
