import { acknowledgementWins } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { storeErrors } from '../errors';
import type { AlertRepository } from '../port';
import type { AlertAcknowledgementRow, AlertKind, AlertRow, NewAlertRow } from '../rows';
import { changeOf } from '../wire';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';
import { parseJson } from './sql';

export type AlertRecord = {
  id: string;
  event_id: string;
  kind: AlertKind;
  booking_id: string;
  checkin_id: string | null;
  first_checkin_id: string | null;
  message: string;
  created_at: string;
  /** JSON of AlertAcknowledgementRow, or NULL (migration 014). */
  acknowledgement: string | null;
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
    acknowledgement: record.acknowledgement ? parseJson<AlertAcknowledgementRow>(record.acknowledgement) : null,
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
    acknowledgement: row.acknowledgement ? JSON.stringify(row.acknowledgement) : null,
    rev: row.rev,
  };
}

/** Alerts: derived facts whose ids derive from their cause, so each is raised (and logged) once. */
export class SqliteAlerts {
  private readonly insertRow: Database.Statement<AlertRecord>;
  private readonly ofEvent: Database.Statement<[string, number], AlertRecord>;
  private readonly byId: Database.Statement<[string], AlertRecord>;
  private readonly setAcknowledgement: Database.Statement<[string, string], AlertRecord>;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly changes: ChangeLog,
  ) {
    const { db } = database;
    this.insertRow = db.prepare(
      `INSERT INTO alerts (id, event_id, kind, booking_id, checkin_id, first_checkin_id, message, created_at,
         acknowledgement, rev)
       VALUES (@id, @event_id, @kind, @booking_id, @checkin_id, @first_checkin_id, @message, @created_at,
         @acknowledgement, @rev)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.ofEvent = db.prepare('SELECT * FROM alerts WHERE event_id = ? ORDER BY created_at DESC, id LIMIT ?');
    this.byId = db.prepare('SELECT * FROM alerts WHERE id = ?');
    this.setAcknowledgement = db.prepare(
      'UPDATE alerts SET acknowledgement = ?, rev = rev + 1 WHERE id = ? RETURNING *',
    );
  }

  /** Inserts (rev 1) and logs the alert unless its id exists; true when it was new. */
  raise(input: NewAlertRow): boolean {
    const row: AlertRow = { ...input, acknowledgement: null, rev: 1 };
    const inserted = this.insertRow.run(toAlertParams(row));
    if (inserted.changes === 0) return false;
    this.changes.append(changeOf.alert(row));
    return true;
  }

  /**
   * AlertRepository.acknowledge inside the caller's transaction: the read, the HLC comparison and
   * the update are one transaction, so two acknowledgements never both win.
   */
  acknowledge(
    alertId: string,
    eventId: string,
    acknowledgement: AlertAcknowledgementRow,
  ): { row: AlertRow; changed: boolean } {
    const record = this.byId.get(alertId);
    if (!record || record.event_id !== eventId) throw storeErrors.alertNotInEvent(alertId);
    const current = toAlertRow(record);
    if (!acknowledgementWins(acknowledgement, current.acknowledgement)) return { row: current, changed: false };
    const row = toAlertRow(this.setAcknowledgement.get(JSON.stringify(acknowledgement), alertId)!);
    this.changes.append(changeOf.alert(row));
    return { row, changed: true };
  }

  repository(): AlertRepository {
    const { database } = this;
    return {
      raise: (row) => database.write(() => this.raise(row)),
      listForEvent: (eventId, limit) =>
        database.read(() => this.ofEvent.all(eventId, Math.max(0, Math.floor(limit))).map(toAlertRow)),
      acknowledge: (alertId, eventId, acknowledgement) =>
        database.write(() => this.acknowledge(alertId, eventId, acknowledgement)),
      findById: (id) =>
        database.read(() => {
          const record = this.byId.get(id);
          return record ? toAlertRow(record) : null;
        }),
    };
  }
}
