import { type HybridClock, type MutationName, parseOrThrow, mutationArgsSchemas } from '@gatehouse/protocol';
import type { Db } from '../db/open';
import { type Doc, type RowStore, SYNCED_TABLES, type SyncedTable } from '../db/rows';
import type { SalvagedMutation } from '../db/salvage';
import { applyEffect, type MutationMeta, type PendingMutation, targetOf } from './effects';
import { newRowId } from './ids';
import type { SyncState } from './state';

type OutboxRow = {
  seq: number;
  id: string;
  name: MutationName;
  args: string;
  hlc: string;
  meta: string;
  target_table: SyncedTable;
  target_id: string;
};

/** An answered mutation as it left the outbox (args as stored JSON). */
export type TakenEntry = { name: string; args: string; hlc: string; target_table: SyncedTable; target_id: string };

export type OutboxEntry = PendingMutation & { seq: number; target: { table: SyncedTable; id: string } };

function toEntry(row: OutboxRow): OutboxEntry {
  return {
    seq: row.seq,
    id: row.id,
    name: row.name,
    args: JSON.parse(row.args),
    hlc: row.hlc,
    meta: JSON.parse(row.meta) as MutationMeta,
    target: { table: row.target_table, id: row.target_id },
  };
}

/**
 * The queue of local mutations not yet answered by the server. Appending changes the local row in
 * the same SQLite transaction, so a crash never leaves one without the other.
 */
export class Outbox {
  private readonly insert;
  private readonly pendingFor;
  private readonly head;
  private readonly takeRow;
  private readonly countAll;
  private readonly bumpAttempts;
  private readonly anyFor;

  constructor(
    private readonly db: Db,
    private readonly rows: RowStore,
    private readonly clock: HybridClock,
    private readonly state: SyncState,
  ) {
    this.insert = db.prepare(
      `INSERT INTO outbox (id, name, args, hlc, meta, target_table, target_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.pendingFor = db.prepare('SELECT * FROM outbox WHERE target_table = ? AND target_id = ? ORDER BY seq');
    this.anyFor = db.prepare('SELECT 1 FROM outbox WHERE target_table = ? AND target_id = ? LIMIT 1');
    this.head = db.prepare('SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?');
    this.takeRow = db.prepare('DELETE FROM outbox WHERE id = ? RETURNING name, args, hlc, target_table, target_id');
    this.countAll = db.prepare('SELECT count(*) AS n FROM outbox');
    this.bumpAttempts = db.prepare('UPDATE outbox SET attempts = attempts + 1 WHERE seq BETWEEN ? AND ?');
  }

  /** Validates, applies locally and queues one mutation in one transaction; returns the row's new doc. */
  append(name: MutationName, args: unknown, meta: MutationMeta): { id: string; doc: Doc | null } {
    const parsed = parseOrThrow(mutationArgsSchemas[name], args, `${name} arguments`);
    return this.db.transaction(() => {
      const hlc = this.clock.tick();
      this.state.set('hlc', hlc);
      const id = newRowId();
      const mutation: PendingMutation = { id, name, args: parsed, hlc, meta };
      const target = targetOf(name, parsed);
      const doc = applyEffect(mutation, this.rows.getDoc(target.table, target.id));
      this.rows.setDoc(target.table, target.id, doc);
      this.insert.run(id, name, JSON.stringify(parsed), hlc, JSON.stringify(meta), target.table, target.id, meta.at);
      return { id, doc };
    })();
  }

  /**
   * Re-derives a row: the server's version with every still-pending mutation on it replayed. A row
   * with nothing pending that already shows the server's version (a pull stored it after its
   * mutations were answered, the common case after a push) is left as it is.
   */
  rebuild(table: SyncedTable, id: string): void {
    const pending = this.pendingFor.all(table, id) as OutboxRow[];
    const row = this.rows.get(table, id);
    if (pending.length === 0 && row?.shows_server === 1) return;
    let doc: Doc | null = row?.server_doc ? (JSON.parse(row.server_doc) as Doc) : null;
    for (const mutation of pending) doc = applyEffect(toEntry(mutation), doc);
    this.rows.setDoc(table, id, doc);
  }

  hasPending(table: SyncedTable, id: string): boolean {
    return this.anyFor.get(table, id) !== undefined;
  }

  /**
   * The oldest `limit` mutations queued after `afterSeq` (all of them by default), cut where their
   * stored JSON passes `maxBytes` (always at least one, if any): consecutive entries, in outbox order.
   */
  peek(limit: number, maxBytes = Infinity, afterSeq = 0): OutboxEntry[] {
    const rows = this.head.all(afterSeq, limit) as OutboxRow[];
    let bytes = 0;
    let count = 0;
    while (count < rows.length) {
      bytes += rows[count]!.args.length + rows[count]!.meta.length;
      if (count > 0 && bytes > maxBytes) break;
      count += 1;
    }
    return rows.slice(0, count).map(toEntry);
  }

  /** Removes an answered mutation; returns what it was and which row it changed, or undefined if it was not queued. */
  take(id: string): TakenEntry | undefined {
    return this.takeRow.get(id) as TakenEntry | undefined;
  }

  /** Counts a send of `batch` (as `peek` answered it: consecutive entries), in one statement. */
  markAttempted(batch: readonly OutboxEntry[]): void {
    if (batch.length === 0) return;
    this.bumpAttempts.run(batch[0]!.seq, batch[batch.length - 1]!.seq);
  }

  count(): number {
    return (this.countAll.get() as { n: number }).n;
  }

  /** Mutations read from a damaged file, queued again in their old order; returns how many were new. */
  requeue(entries: SalvagedMutation[]): number {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO outbox (id, name, args, hlc, meta, target_table, target_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return this.db.transaction(() => {
      let count = 0;
      for (const entry of entries) {
        if (!(SYNCED_TABLES as readonly string[]).includes(entry.target_table)) continue;
        const result = insert.run(
          entry.id,
          entry.name,
          entry.args,
          entry.hlc,
          entry.meta,
          entry.target_table,
          entry.target_id,
          entry.created_at,
        );
        if (result.changes === 0) continue;
        count += 1;
        this.rebuild(entry.target_table as SyncedTable, entry.target_id);
      }
      return count;
    })();
  }
}
