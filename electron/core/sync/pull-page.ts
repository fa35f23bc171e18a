import { CHANGE_TYPES, changeSchema, GatehouseError, parseBucket, type PullResponse } from '@gatehouse/protocol';
import type { SyncedTable } from '../db/rows';

/** The tables and events a sequence of writes touched: one `data.changed` event for the renderer. */
export type DataChange = { tables: SyncedTable[]; eventIds: string[] };

/**
 * A pull page as the engine receives it: the envelope checked, each change checked (protocol's
 * changeSchema) only as it is stored. Checking a 2,000-change page up front holds it twice — as
 * parsed and as validated — for the whole transaction; one change at a time, the copies die young.
 */
export type PullPage = Omit<PullResponse, 'changes'> & { changes: readonly unknown[] };

/**
 * A change as stored, or null for a kind of row this device has no table for: a newer server's
 * (docs/ARCHITECTURE.md §3, Versions — new facts come as new change types, never as new shapes of
 * known ones), skipped so the rest of the page still lands. A known type in a shape that does not
 * parse is the server's fault, and fails the page.
 */
export function checkedChange(raw: unknown): PullResponse['changes'][number] | null {
  const type = (raw as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && !(CHANGE_TYPES as readonly string[]).includes(type)) return null;
  const checked = changeSchema.safeParse(raw);
  if (!checked.success) throw new GatehouseError('INTERNAL', 'Unexpected answer from the server for /sync/pull');
  return checked.data;
}

/** The event a change belongs to: its doc's `eventId`, else its event bucket's id; '' for user rows. */
export function eventIdOfChange(change: PullResponse['changes'][number]): string {
  if (change.type === 'user') return '';
  const fromDoc = (change.doc as { eventId?: unknown } | null)?.eventId;
  if (typeof fromDoc === 'string') return fromDoc;
  return parseBucket(change.bucket)?.kind === 'event' ? parseBucket(change.bucket)!.id : '';
}

/** What a sequence of writes changed, for one `data.changed` event. */
export class ChangeCollector {
  readonly tables = new Set<SyncedTable>();
  readonly eventIds = new Set<string>();
  add(table: SyncedTable, eventId: string): void {
    this.tables.add(table);
    if (eventId) this.eventIds.add(eventId);
  }
  result(): DataChange {
    return { tables: [...this.tables], eventIds: [...this.eventIds] };
  }
}
