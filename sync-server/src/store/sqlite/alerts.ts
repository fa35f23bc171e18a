import type Database from 'better-sqlite3';
import type { AlertRepository } from '../port';
import type { AlertKind, AlertRow } from '../rows';
import { changeOf } from '../wire';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';

export type AlertRecord = {
  id: string;
  event_id: string;
  kind: AlertKind;
  booking_id: string;
  checkin_id: string | null;
  first_checkin_id: string | null;
  message: string;
  created_at: string;
  rev: number;
};

export function toAlertRow(record: AlertRecord): AlertRow {
  return {
    id: record.id,
    rev: record.rev,
    eventId: record.event_id,
    kind: record.kind,
    bookingId: record.booking_id,
    checkinId: record.checkin_id,
    firstCheckinId: record.first_checkin_id,
    message: record.message,
    createdAt: record.created_at,
  };
}

export function toAlertParams(row: AlertRow): AlertRecord {
  return {
    id: row.id,
    event_id: row.eventId,
    kind: row.kind,
    booking_id: row.bookingId,
    checkin_id: row.checkinId,
    first_checkin_id: row.firstCheckinId,
    message: row.message,
    created_at: row.createdAt,
    rev: row.rev,
  };
}

/** Alerts: derived facts whose ids derive from their cause, so each is raised (and logged) once. */
export class SqliteAlerts {
  private readonly insertRow: Database.Statement<AlertRecord>;
  private readonly ofEvent: Database.Statement<[string, number], AlertRecord>;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly changes: ChangeLog,
  ) {
    const { db } = database;
    this.insertRow = db.prepare(
      `INSERT INTO alerts (id, event_id, kind, booking_id, checkin_id, first_checkin_id, message, created_at, rev)
       VALUES (@id, @event_id, @kind, @booking_id, @checkin_id, @first_checkin_id, @message, @created_at, @rev)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.ofEvent = db.prepare('SELECT * FROM alerts WHERE event_id = ? ORDER BY created_at DESC, id LIMIT ?');
  }

  /** Inserts (rev 1) and logs the alert unless its id exists; true when it was new. */
  raise(input: Omit<AlertRow, 'rev'>): boolean {
    const row: AlertRow = { ...input, rev: 1 };
    const inserted = this.insertRow.run(toAlertParams(row));
    if (inserted.changes === 0) return false;
    this.changes.append(changeOf.alert(row));
    return true;
  }

  repository(): AlertRepository {
    const { database } = this;
    return {
      raise: (row) => database.write(() => this.raise(row)),
      listForEvent: (eventId, limit) =>
        database.read(() => this.ofEvent.all(eventId, Math.max(0, Math.floor(limit))).map(toAlertRow)),
    };
  }
}
