import type Database from 'better-sqlite3';
import type { MailHandoff } from '../rows';
import type { SqliteDatabase } from './database';
import { parseJson } from './sql';

export type HandoffRecord = {
  kind: MailHandoff['kind'];
  row_id: string;
  items: string;
  rev: number;
  recorded_at_ms: number;
};

export function toHandoff(record: HandoffRecord): MailHandoff {
  return { kind: record.kind, rowId: record.row_id, items: parseJson<string[]>(record.items), rev: record.rev };
}

/**
 * Mail hand-offs: the mail a row's change owes, keyed (kind, row id), added to in the same
 * transaction as the change and cleared item by item once the mail domain has queued it. Listed
 * oldest first by `recorded_at_ms`, when the hand-off was first recorded: items added to one that
 * waits keep its place, one cleared and owed again goes to the back. (By row id, a UUID, hand-offs
 * that keep failing could sort ahead of every newer one for good.)
 */
export class Handoffs {
  private readonly get: Database.Statement<[string, string], HandoffRecord>;
  private readonly put: Database.Statement<[string, string, string, number, number]>;
  private readonly remove: Database.Statement<[string, string]>;
  private readonly oldest: Database.Statement<[string, number], HandoffRecord>;

  constructor(database: SqliteDatabase) {
    const { db } = database;
    this.get = db.prepare('SELECT * FROM mail_handoffs WHERE kind = ? AND row_id = ?');
    this.put = db.prepare(
      `INSERT INTO mail_handoffs (kind, row_id, items, rev, recorded_at_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (kind, row_id) DO UPDATE SET items = excluded.items, rev = excluded.rev`,
    );
    this.remove = db.prepare('DELETE FROM mail_handoffs WHERE kind = ? AND row_id = ?');
    this.oldest = db.prepare('SELECT * FROM mail_handoffs WHERE kind = ? ORDER BY recorded_at_ms, row_id LIMIT ?');
  }

  /** Adds `items` (deduplicated) to the row's hand-off; `rev` is the row's rev after its change. */
  add(kind: MailHandoff['kind'], rowId: string, items: readonly string[], rev: number): void {
    if (items.length === 0) return;
    const existing = this.get.get(kind, rowId);
    const merged = new Set(existing ? parseJson<string[]>(existing.items) : []);
    for (const item of items) merged.add(item);
    // An existing hand-off keeps the time it was first recorded (the upsert leaves it).
    this.put.run(kind, rowId, JSON.stringify([...merged]), Math.max(rev, existing?.rev ?? 0), Date.now());
  }

  /** Up to `limit` hand-offs of each kind, oldest first, bookings first. */
  list(limit: number): MailHandoff[] {
    const count = Math.max(0, Math.floor(limit));
    return [...this.oldest.all('booking', count), ...this.oldest.all('event', count)].map(toHandoff);
  }

  /** Removes the hand-off's items; those added since it was read stay. */
  clear(handoff: MailHandoff): void {
    const existing = this.get.get(handoff.kind, handoff.rowId);
    if (!existing) return;
    const done = new Set(handoff.items);
    const left = parseJson<string[]>(existing.items).filter((item) => !done.has(item));
    if (left.length === 0) this.remove.run(handoff.kind, handoff.rowId);
    else this.put.run(handoff.kind, handoff.rowId, JSON.stringify(left), existing.rev, existing.recorded_at_ms);
  }
}
