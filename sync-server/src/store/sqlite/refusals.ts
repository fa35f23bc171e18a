import type Database from 'better-sqlite3';
import { storeErrors } from '../errors';
import type { After, RefusalRepository } from '../port';
import type { RefusalRow } from '../rows';
import { changeOf } from '../wire';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';
import { pageLimit } from './sql';

export type RefusalRecord = {
  id: string;
  event_id: string;
  gate: string;
  direction: RefusalRow['direction'];
  reason: RefusalRow['reason'];
  booking_id: string | null;
  ticket_event_id: string | null;
  scanned_at: string;
  device_id: string;
  staff_id: string;
  hlc: string;
  received_at: string;
  rev: number;
};

export function toRefusalRow(record: RefusalRecord): RefusalRow {
  return {
    id: record.id,
    rev: record.rev,
    eventId: record.event_id,
    gate: record.gate,
    direction: record.direction,
    reason: record.reason,
    bookingId: record.booking_id,
    ticketEventId: record.ticket_event_id,
    scannedAt: record.scanned_at,
    deviceId: record.device_id,
    staffId: record.staff_id,
    hlc: record.hlc,
    receivedAt: record.received_at,
  };
}

export function toRefusalParams(row: RefusalRow): RefusalRecord {
  return {
    id: row.id,
    event_id: row.eventId,
    gate: row.gate,
    direction: row.direction,
    reason: row.reason,
    booking_id: row.bookingId,
    ticket_event_id: row.ticketEventId,
    scanned_at: row.scannedAt,
    device_id: row.deviceId,
    staff_id: row.staffId,
    hlc: row.hlc,
    received_at: row.receivedAt,
    rev: row.rev,
  };
}

/** Refused scans: append-only records of the door, each logged to its event's bucket once. */
export class SqliteRefusals {
  private readonly byId: Database.Statement<[string], RefusalRecord>;
  private readonly insertRow: Database.Statement<RefusalRecord>;
  private readonly ofEvent: Database.Statement<[string, number], RefusalRecord>;
  private readonly pageFirst: Database.Statement<{ eventId: string; limit: number }, RefusalRecord>;
  private readonly pageAfter: Database.Statement<
    { eventId: string; afterHlc: string; afterId: string; limit: number },
    RefusalRecord
  >;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly changes: ChangeLog,
  ) {
    const { db } = database;
    this.byId = db.prepare('SELECT * FROM refusals WHERE id = ?');
    this.insertRow = db.prepare(
      `INSERT INTO refusals (id, event_id, gate, direction, reason, booking_id, ticket_event_id, scanned_at,
         device_id, staff_id, hlc, received_at, rev)
       VALUES (@id, @event_id, @gate, @direction, @reason, @booking_id, @ticket_event_id, @scanned_at,
         @device_id, @staff_id, @hlc, @received_at, @rev)`,
    );
    this.ofEvent = db.prepare('SELECT * FROM refusals WHERE event_id = ? ORDER BY hlc DESC, id LIMIT ?');
    // refusals_by_event_hlc (migration 011) serves both.
    this.pageFirst = db.prepare('SELECT * FROM refusals WHERE event_id = @eventId ORDER BY hlc, id LIMIT @limit');
    this.pageAfter = db.prepare(
      `SELECT * FROM refusals WHERE event_id = @eventId AND (hlc, id) > (@afterHlc, @afterId)
       ORDER BY hlc, id LIMIT @limit`,
    );
  }

  record(input: Omit<RefusalRow, 'rev'>): { row: RefusalRow; repeated: boolean } {
    const existing = this.byId.get(input.id);
    if (existing) {
      const same = existing.event_id === input.eventId && existing.staff_id === input.staffId;
      if (!same) throw storeErrors.refusalIdTaken(input.id);
      return { row: toRefusalRow(existing), repeated: true };
    }
    const row: RefusalRow = { ...input, rev: 1 };
    this.insertRow.run(toRefusalParams(row));
    this.changes.append(changeOf.refusal(row));
    return { row, repeated: false };
  }

  repository(): RefusalRepository {
    const { database } = this;
    return {
      record: (row) => database.write(() => this.record(row)),
      listForEvent: (eventId, limit) =>
        database.read(() => this.ofEvent.all(eventId, Math.max(0, Math.floor(limit))).map(toRefusalRow)),
      pageForEvent: (eventId: string, after: After<string> | undefined, limit: number) =>
        database.read(() =>
          (after
            ? this.pageAfter.all({ eventId, afterHlc: after.value, afterId: after.id, limit: pageLimit(limit) })
            : this.pageFirst.all({ eventId, limit: pageLimit(limit) })
          ).map(toRefusalRow),
        ),
    };
  }
}
