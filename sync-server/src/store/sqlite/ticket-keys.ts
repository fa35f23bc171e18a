import type Database from 'better-sqlite3';
import { storeErrors } from '../errors';
import type { TicketKeyRepository } from '../port';
import type { TicketKeyRow } from '../rows';
import { changeOf } from '../wire';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';

export type TicketKeyRecord = {
  id: string;
  event_id: string;
  kid: string;
  public_key: string;
  private_key: string;
  created_at: string;
  retired_at: string | null;
  rev: number;
};

export function toTicketKeyRow(record: TicketKeyRecord): TicketKeyRow {
  return {
    id: record.id,
    rev: record.rev,
    eventId: record.event_id,
    kid: record.kid,
    publicKey: record.public_key,
    privateKey: record.private_key,
    createdAt: record.created_at,
    retiredAt: record.retired_at,
  };
}

export function toTicketKeyParams(row: TicketKeyRow): TicketKeyRecord {
  return {
    id: row.id,
    event_id: row.eventId,
    kid: row.kid,
    public_key: row.publicKey,
    private_key: row.privateKey,
    created_at: row.createdAt,
    retired_at: row.retiredAt,
    rev: row.rev,
  };
}

/** Events' signing keys; the public half is logged to the event's bucket, the private half never. */
export class SqliteTicketKeys {
  private readonly insertRow: Database.Statement<TicketKeyRecord>;
  private readonly eventExists: Database.Statement<[string], { found: number }>;
  private readonly ofEvent: Database.Statement<[string], TicketKeyRecord>;
  private readonly signing: Database.Statement<[string], TicketKeyRecord>;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly changes: ChangeLog,
  ) {
    const { db } = database;
    this.insertRow = db.prepare(
      `INSERT INTO ticket_keys (id, event_id, kid, public_key, private_key, created_at, retired_at, rev)
       VALUES (@id, @event_id, @kid, @public_key, @private_key, @created_at, @retired_at, @rev)`,
    );
    this.eventExists = db.prepare('SELECT 1 AS found FROM events WHERE id = ?');
    this.ofEvent = db.prepare('SELECT * FROM ticket_keys WHERE event_id = ? ORDER BY created_at, id');
    this.signing = db.prepare(
      'SELECT * FROM ticket_keys WHERE event_id = ? AND retired_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1',
    );
  }

  insert(input: Omit<TicketKeyRow, 'rev'>): TicketKeyRow {
    if (!this.eventExists.get(input.eventId)) throw storeErrors.eventNotFound();
    const row: TicketKeyRow = { ...input, rev: 1 };
    this.insertRow.run(toTicketKeyParams(row));
    this.changes.append(changeOf.ticketKey(row));
    return row;
  }

  repository(): TicketKeyRepository {
    const { database } = this;
    return {
      insert: (row) => database.write(() => this.insert(row)),
      listForEvent: (eventId) => database.read(() => this.ofEvent.all(eventId).map(toTicketKeyRow)),
      signingKey: (eventId) =>
        database.read(() => {
          const record = this.signing.get(eventId);
          return record ? toTicketKeyRow(record) : null;
        }),
    };
  }
}
