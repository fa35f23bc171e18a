import { GatehouseError, type Page } from '@gatehouse/protocol';
import { z } from 'zod';
import type { After } from '../store/port';

/**
 * Row fields written once, when the row is created, and never changed: the only fields a list may
 * page on. A keyset on a field that moves (an event's start, a device's last sync) loses rows: a
 * row moved from behind the cursor to ahead of it is never listed, one moved the other way twice.
 * On (creation time, id) a walk lists every row that exists for the whole walk exactly once, however
 * the rows are edited meanwhile; a screen that wants another order sorts what it fetched.
 */
export type CreationField = 'createdAt' | 'createdAtMs' | 'firstSeenAt';

type ValueKind = 'string' | 'number';
type ValueOf<K extends ValueKind> = K extends 'string' ? string : number;

/**
 * The cursor: the list's name and the last row's key, base64url JSON. A cursor that does not decode
 * to exactly that shape, or that another list (or an older order of this one) issued, is refused
 * with CURSOR_INVALID rather than passed into a query.
 */
const cursorPayloadSchema = z.strictObject({
  l: z.string().max(40),
  v: z.union([z.string().max(300), z.number()]),
  id: z.string().max(200),
});

function invalid(): GatehouseError {
  return new GatehouseError('CURSOR_INVALID', 'The cursor is not valid; start again without one');
}

/**
 * How one list pages: keyset pagination on (`field`, id), stable under inserts, edits and deletes,
 * each page one indexed range read. `list` names the list inside its cursors, so a cursor works
 * only where it was issued; a new order of a list takes a new name, so old cursors are refused.
 */
export class ListPages<F extends CreationField, K extends ValueKind> {
  constructor(
    readonly list: string,
    readonly field: F,
    private readonly kind: K,
  ) {}

  /** The position a cursor names; undefined without one. Throws CURSOR_INVALID. */
  after(cursor: string | undefined): After<ValueOf<K>> | undefined {
    if (!cursor) return undefined;
    let payload: z.infer<typeof cursorPayloadSchema>;
    try {
      payload = cursorPayloadSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    } catch {
      throw invalid();
    }
    if (payload.l !== this.list || typeof payload.v !== this.kind) throw invalid();
    return { value: payload.v as ValueOf<K>, id: payload.id };
  }

  /** A page from `limit + 1` rows in (field, id) order: the extra row only says that another page exists. */
  page<Row extends { id: string } & Record<F, ValueOf<K>>, Item>(
    rows: Row[],
    limit: number,
    toItem: (row: Row) => Item,
  ): Page<Item> {
    const pageRows = rows.slice(0, limit);
    const last = pageRows[pageRows.length - 1];
    return {
      items: pageRows.map(toItem),
      nextCursor: rows.length > limit && last ? this.encode({ value: last[this.field], id: last.id }) : null,
    };
  }

  private encode(after: After<ValueOf<K>>): string {
    return Buffer.from(JSON.stringify({ l: this.list, v: after.value, id: after.id })).toString('base64url');
  }
}
