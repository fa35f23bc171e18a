import { type HybridClock, type MutationName, parseOrThrow, mutationArgsSchemas } from '@gatehouse/protocol';
import type { Db } from '../db/open';
import { type Doc, type RowStore, SYNCED_TABLES, type SyncedTable } from '../db/rows';
import type { SalvagedMutation } from '../db/salvage';
import { applyEffect, type MutationMeta, type PendingMutation, targetOf } from './effects';
import { newRowId } from './ids';
import type { ChangeCollector } from './pull-page';
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

/**
 * A queued mutation as a push carries it: `json` is its envelope (`{id, name, args, hlc}`, protocol
 * `pushMutationEnvelopeSchema`) as JSON text, made by SQLite from the stored args text (never
 * parsed in JS).
 */
export type WireEntry = { seq: number; id: string; json: string };

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
  private readonly takeRows;
  private readonly countAll;
  private readonly bumpAttempts;
  private readonly anyFor;
  private readonly insertStale;
  private readonly headWire;

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
    this.takeRows = db.prepare(
      `DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))
       RETURNING id, name, args, hlc, target_table, target_id`,
    );
    this.headWire = db.prepare(
      `SELECT seq, id, json_object('id', id, 'name', name, 'args', json(args), 'hlc', hlc) AS json
       FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`,
    );
    this.countAll = db.prepare('SELECT count(*) AS n FROM outbox');
    // A JSON array of [table, id] pairs.
    this.insertStale = db.prepare(
      `INSERT OR IGNORE INTO stale_rows (tbl, id) SELECT value ->> 0, value ->> 1 FROM json_each(?)`,
    );
    this.bumpAttempts = db.prepare('UPDATE outbox SET attempts = attempts + 1 WHERE seq BETWEEN ? AND ?');
  }

  /**
   * Rows whose answered mutations were applied: re-derived from the server's version once a pull
   * has caught up past them (rebuildStale). `rows` are [table, id] pairs.
   */
  markStale(rows: ReadonlyArray<readonly [SyncedTable, string]>): void {
    if (rows.length > 0) this.insertStale.run(JSON.stringify(rows));
  }

  /** Re-derives every row markStale listed, noting each in `changed`, and forgets the list. */
  rebuildStale(changed: ChangeCollector): void {
    const stale = this.db.prepare('SELECT tbl, id FROM stale_rows').all() as { tbl: SyncedTable; id: string }[];
    for (const row of stale) {
      this.rebuild(row.tbl, row.id);
      changed.add(row.tbl, this.rows.get(row.tbl, row.id)?.event_id ?? '');
    }
    this.db.prepare('DELETE FROM stale_rows').run();
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

  /** The oldest `limit` mutations queued, in outbox order (the push reads them as wire bodies: peekWire). */
  peek(limit: number): OutboxEntry[] {
    return (this.head.all(0, limit) as OutboxRow[]).map(toEntry);
  }

  /**
   * The oldest `limit` mutations queued after `afterSeq`, in outbox order, as a push sends them
   * (WireEntry); no byte cut (the push's read-ahead cuts its bodies at PUSH_MAX_BYTES).
   */
  peekWire(limit: number, afterSeq: number): WireEntry[] {
    return this.headWire.all(afterSeq, limit) as WireEntry[];
  }

  /**
   * Removes answered mutations, in one statement (a push answers up to 2,000); returns what each
   * was and which row it changed, by mutation id — ids that were not queued are absent.
   */
  takeMany(ids: readonly string[]): Map<string, TakenEntry> {
    const taken = new Map<string, TakenEntry>();
    if (ids.length === 0) return taken;
    for (const row of this.takeRows.all(JSON.stringify(ids)) as Array<TakenEntry & { id: string }>) {
      const { id, ...entry } = row;
      taken.set(id, entry);
    }
    return taken;
  }

  /** Counts a send of `batch` (consecutive entries, in outbox order), in one statement. */
  markAttempted(batch: ReadonlyArray<{ seq: number }>): void {
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
