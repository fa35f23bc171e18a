import { foldForSearch, type ChangeType } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import type { Db } from './open';

export const SYNCED_TABLES = ['events', 'bookings', 'checkins', 'alerts', 'ticket_keys', 'users', 'refusals'] as const;
export type SyncedTable = (typeof SYNCED_TABLES)[number];

export const TABLE_OF_TYPE: Record<ChangeType, SyncedTable> = {
  event: 'events',
  booking: 'bookings',
  checkin: 'checkins',
  alert: 'alerts',
  ticketKey: 'ticket_keys',
  user: 'users',
  refusal: 'refusals',
};

export type Doc = Record<string, unknown>;
/** A stored row; `shows_server` is 1 when `doc` is the server's version itself (no local change on top). */
export type StoredRow = {
  id: string;
  event_id: string;
  rev: number;
  server_doc: string | null;
  doc: string | null;
  shows_server: 0 | 1;
};

const lower = (value: unknown): string | null => (typeof value === 'string' ? value.toLowerCase() : null);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
/** Search folding (protocol foldForSearch), the same as the server's search words (migration 007). */
const folded = (value: unknown): string | null => (typeof value === 'string' ? foldForSearch(value) : null);

/** Columns copied out of a doc so queries can filter and sort with an index. */
const DERIVED: Record<SyncedTable, { columns: string[]; values: (doc: Doc | null) => (string | null)[] }> = {
  events: { columns: ['title_lower', 'starts_at'], values: (d) => [lower(d?.title), text(d?.startsAt)] },
  // `name_lower` and `email_lower` are folded for search, not only lower-cased (migration 007): they
  // are the search index's words, and the list's order ("Ødegaard" among the O's).
  bookings: {
    columns: ['code', 'name_lower', 'email_lower', 'status', 'created_at'],
    values: (d) => {
      const attendee = (d?.attendee ?? {}) as { name?: unknown; email?: unknown };
      return [lower(d?.code), folded(attendee.name), folded(attendee.email), text(d?.status), text(d?.createdAt)];
    },
  },
  checkins: {
    columns: ['booking_id', 'gate', 'direction', 'scanned_at', 'hlc'],
    values: (d) => [text(d?.bookingId), text(d?.gate), text(d?.direction), text(d?.scannedAt), text(d?.hlc)],
  },
  alerts: { columns: ['created_at'], values: (d) => [text(d?.createdAt)] },
  ticket_keys: { columns: ['kid'], values: (d) => [text(d?.kid)] },
  users: { columns: [], values: () => [] },
  refusals: { columns: ['hlc'], values: (d) => [text(d?.hlc)] },
};

/** The bucket's event id for a row; '' for user rows. */
export function eventIdOf(table: SyncedTable, id: string, doc: Doc | null): string {
  if (table === 'events') return id;
  if (table === 'users') return '';
  return typeof doc?.eventId === 'string' ? doc.eventId : '';
}

type Stmt = Database.Statement<unknown[], unknown>;

/** A bucket's rows keep their event id when a change (a user row) carries none. */
const KEEP_EVENT_ID = `event_id = CASE WHEN excluded.event_id = '' THEN event_id ELSE excluded.event_id END`;

/** Stores a server version as the shown doc too, if its rev is `replaces` the stored one ('>' or '>=' for a refresh). */
function upsertBothSql(table: SyncedTable, derived: string[], replaces: '>' | '>='): string {
  return `INSERT INTO ${table} (id, event_id, rev, doc, doc_is_server${derived.map((c) => `, ${c}`).join('')})
    VALUES (?, ?, ?, ?, 1${derived.map(() => ', ?').join('')})
    ON CONFLICT (id) DO UPDATE SET rev = excluded.rev, server_doc = NULL, doc = excluded.doc,
      doc_is_server = 1, ${KEEP_EVENT_ID}
      ${derived.map((c) => `, ${c} = excluded.${c}`).join('')}
    WHERE excluded.rev ${replaces} rev`;
}

/** Stores a server version beside a shown doc that a pending mutation changed. */
function upsertServerSql(table: SyncedTable, replaces: '>' | '>='): string {
  return `INSERT INTO ${table} (id, event_id, rev, server_doc, doc_is_server) VALUES (?, ?, ?, ?, 0)
    ON CONFLICT (id) DO UPDATE SET rev = excluded.rev, server_doc = excluded.server_doc, doc_is_server = 0,
      ${KEEP_EVENT_ID}
    WHERE excluded.rev ${replaces} rev`;
}
/** The statements RowStore runs on each synced table, by name (SQL in `statementSql`). */
type StatementName =
  | 'get'
  | 'upsertServer'
  | 'upsertBoth'
  /** The same two, replacing an equal rev too: for a refresh, when rows are pulled again. */
  | 'refreshServer'
  | 'refreshBoth'
  | 'appendBoth'
  | 'setDoc'
  | 'insertLocal'
  | 'remove';

function statementSql(table: SyncedTable): Record<StatementName, string> {
  const derived = DERIVED[table].columns;
  const setDerived = derived.map((column) => `, ${column} = ?`).join('');
  return {
    get: `SELECT id, event_id, rev, CASE WHEN doc_is_server THEN doc ELSE server_doc END AS server_doc, doc,
        doc_is_server AS shows_server
      FROM ${table} WHERE id = ?`,
    // The common case of a pull: no local mutation pending on the row, so the server's version
    // is what the UI sees, stored once. Only a newer rev replaces what is stored.
    upsertBoth: upsertBothSql(table, derived, '>'),
    // A local mutation is pending: record the server's version beside the shown doc, which the
    // caller re-derives (Outbox.rebuild).
    upsertServer: upsertServerSql(table, '>'),
    refreshBoth: upsertBothSql(table, derived, '>='),
    refreshServer: upsertServerSql(table, '>='),
    // An initial sync's bookings, into a table with no key yet (db/booking-indexes.ts).
    appendBoth: `INSERT INTO ${table} (id, event_id, rev, doc, doc_is_server${derived.map((c) => `, ${c}`).join('')})
      VALUES (?, ?, ?, ?, 1${derived.map(() => ', ?').join('')})`,
    // What the UI sees changes locally: a server version held in `doc` moves to `server_doc` first
    // (every expression reads the row as it was).
    setDoc: `UPDATE ${table} SET server_doc = CASE WHEN doc_is_server THEN doc ELSE server_doc END, doc_is_server = 0,
        doc = ?${setDerived} WHERE id = ?`,
    insertLocal: `INSERT OR IGNORE INTO ${table} (id, event_id, rev) VALUES (?, ?, 0)`,
    remove: `DELETE FROM ${table} WHERE id = ?`,
  };
}

/**
 * Prepared statements for every synced table, each prepared on first use and kept. A row's server
 * version is `server_doc`, or `doc` itself when `doc_is_server` is 1 (migration 004: stored once,
 * which is every row without a pending local mutation). Prepared lazily because an upsert's
 * `ON CONFLICT (id)` does not compile while an initial sync has the bookings' key dropped.
 */
export class RowStore {
  private readonly statements = new Map<string, Stmt>();

  constructor(private readonly db: Db) {}

  private st(table: SyncedTable, name: StatementName): Stmt {
    const key = `${table}.${name}`;
    let statement = this.statements.get(key);
    if (!statement) {
      statement = this.db.prepare(statementSql(table)[name]);
      this.statements.set(key, statement);
    }
    return statement;
  }

  get(table: SyncedTable, id: string): StoredRow | undefined {
    return this.st(table, 'get').get(id) as StoredRow | undefined;
  }

  getDoc<T = Doc>(table: SyncedTable, id: string): T | null {
    const row = this.get(table, id);
    return row?.doc ? (JSON.parse(row.doc) as T) : null;
  }

  /**
   * Records a server version; returns false when an equal or newer rev is already stored (with
   * `refresh`, only a newer: an equal rev is stored again, in the shape this version reads). With
   * `alsoShow` the version becomes the visible doc too (no local mutation pending on the row).
   */
  putServer(table: SyncedTable, id: string, rev: number, doc: Doc | null, alsoShow = false, refresh = false): boolean {
    const json = doc ? JSON.stringify(doc) : null;
    const result = alsoShow
      ? this.st(table, refresh ? 'refreshBoth' : 'upsertBoth').run(
          id,
          eventIdOf(table, id, doc),
          rev,
          json,
          ...DERIVED[table].values(doc),
        )
      : this.st(table, refresh ? 'refreshServer' : 'upsertServer').run(id, eventIdOf(table, id, doc), rev, json);
    return result.changes > 0;
  }

  /**
   * Adds a server version as a new row, shown (no local mutation pending), without looking for a
   * stored one: an initial sync's bookings, while the table has no key (db/booking-indexes.ts). A
   * booking added twice is reduced to one row when the key is built.
   */
  appendServer(table: SyncedTable, id: string, rev: number, doc: Doc | null): void {
    this.st(table, 'appendBoth').run(
      id,
      eventIdOf(table, id, doc),
      rev,
      doc ? JSON.stringify(doc) : null,
      ...DERIVED[table].values(doc),
    );
  }

  /** Sets what the UI sees; a row with neither a server version nor a local doc is removed. */
  setDoc(table: SyncedTable, id: string, doc: Doc | null): void {
    const existing = this.get(table, id);
    if (!existing) {
      if (!doc) return;
      this.st(table, 'insertLocal').run(id, eventIdOf(table, id, doc));
    } else if (!doc && existing.rev === 0) {
      this.st(table, 'remove').run(id);
      return;
    }
    this.st(table, 'setDoc').run(doc ? JSON.stringify(doc) : null, ...DERIVED[table].values(doc), id);
  }
}
