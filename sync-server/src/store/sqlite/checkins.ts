import type Database from 'better-sqlite3';
import { storeErrors } from '../errors';
import type { After, CheckinRepository, DeriveAlerts, ScanFact } from '../port';
import type { CheckinRow } from '../rows';
import { changeOf } from '../wire';
import type { SqliteAlerts } from './alerts';
import type { SqliteBookings } from './bookings';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';
import { jsonList, pageLimit } from './sql';

export type CheckinRecord = {
  id: string;
  event_id: string;
  booking_id: string;
  gate: string;
  direction: 'in' | 'out' | 'void';
  voids: string | null;
  scanned_at: string;
  device_id: string;
  staff_id: string;
  hlc: string;
  received_at: string;
  rev: number;
};

export function toCheckinRow(record: CheckinRecord): CheckinRow {
  return {
    id: record.id,
    rev: record.rev,
    eventId: record.event_id,
    bookingId: record.booking_id,
    gate: record.gate,
    direction: record.direction,
    ...(record.voids ? { voids: record.voids } : {}),
    scannedAt: record.scanned_at,
    deviceId: record.device_id,
    staffId: record.staff_id,
    hlc: record.hlc,
    receivedAt: record.received_at,
  };
}

export function toCheckinParams(row: CheckinRow): CheckinRecord {
  return {
    id: row.id,
    event_id: row.eventId,
    booking_id: row.bookingId,
    gate: row.gate,
    direction: row.direction,
    voids: row.voids ?? null,
    scanned_at: row.scannedAt,
    device_id: row.deviceId,
    staff_id: row.staffId,
    hlc: row.hlc,
    received_at: row.receivedAt,
    rev: row.rev,
  };
}

/** Check-ins: append-only scans, each raising the alerts it makes in the same transaction. */
export class SqliteCheckins {
  private readonly byId: Database.Statement<[string], CheckinRecord>;
  private readonly insertRow: Database.Statement<CheckinRecord>;
  private readonly scansOf: Database.Statement<
    [string],
    { checkinId: string; direction: 'in' | 'out' | 'void'; hlc: string; gate: string; voids: string | null }
  >;
  private readonly ofBooking: Database.Statement<[string], CheckinRecord>;
  private readonly ofEvent: Database.Statement<[string], CheckinRecord>;
  private readonly countOfEvent: Database.Statement<[string], { n: number }>;
  private readonly ofBookings: Database.Statement<[string], CheckinRecord>;
  private readonly pageFirst: Database.Statement<{ eventId: string; limit: number }, CheckinRecord>;
  private readonly pageAfter: Database.Statement<
    { eventId: string; afterHlc: string; afterId: string; limit: number },
    CheckinRecord
  >;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly changes: ChangeLog,
    private readonly bookings: SqliteBookings,
    private readonly alerts: SqliteAlerts,
  ) {
    const { db } = database;
    this.byId = db.prepare('SELECT * FROM checkins WHERE id = ?');
    // A new id (the common case) costs one statement: the existing row is read only on a conflict.
    this.insertRow = db.prepare(
      `INSERT INTO checkins (id, event_id, booking_id, gate, direction, voids, scanned_at, device_id, staff_id, hlc, received_at, rev)
       VALUES (@id, @event_id, @booking_id, @gate, @direction, @voids, @scanned_at, @device_id, @staff_id, @hlc, @received_at, @rev)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.scansOf = db.prepare('SELECT id AS checkinId, direction, hlc, gate, voids FROM checkins WHERE booking_id = ?');
    this.ofBooking = db.prepare('SELECT * FROM checkins WHERE booking_id = ? ORDER BY hlc, id');
    this.ofEvent = db.prepare('SELECT * FROM checkins WHERE event_id = ? ORDER BY id');
    this.countOfEvent = db.prepare('SELECT count(*) AS n FROM checkins WHERE event_id = ?');
    this.ofBookings = db.prepare('SELECT * FROM checkins WHERE booking_id IN (SELECT value FROM json_each(?))');
    // checkins_by_event_hlc (migration 011) serves both.
    this.pageFirst = db.prepare('SELECT * FROM checkins WHERE event_id = @eventId ORDER BY hlc, id LIMIT @limit');
    this.pageAfter = db.prepare(
      `SELECT * FROM checkins WHERE event_id = @eventId AND (hlc, id) > (@afterHlc, @afterId)
       ORDER BY hlc, id LIMIT @limit`,
    );
  }

  record(input: Omit<CheckinRow, 'rev'>, deriveAlerts: DeriveAlerts): { row: CheckinRow; repeated: boolean } {
    const booking = this.bookings.find(input.bookingId);
    // Another event's booking answers like a missing one: ids of other events' bookings do not leak.
    if (!booking || booking.eventId !== input.eventId) throw storeErrors.bookingNotInEvent(input.bookingId);
    let row: CheckinRow = { ...input, rev: 1 };
    const repeated = this.insertRow.run(toCheckinParams(row)).changes === 0;
    if (repeated) {
      const existing = this.byId.get(input.id)!;
      const sameScan =
        existing.booking_id === input.bookingId &&
        existing.direction === input.direction &&
        (existing.voids ?? undefined) === input.voids &&
        existing.gate === input.gate &&
        existing.staff_id === input.staffId;
      if (!sameScan) throw storeErrors.checkinIdTaken(input.id);
      row = toCheckinRow(existing);
    } else {
      this.changes.append(changeOf.checkin(row));
    }
    // Re-derived on a repeat too: harmless (alerts are raised once) and it keeps the two paths one.
    const history: ScanFact[] = this.scansOf
      .all(row.bookingId)
      .map((fact) => ({ ...fact, voids: fact.voids ?? undefined }));
    for (const alert of deriveAlerts(booking, row, history)) this.alerts.raise(alert);
    return { row, repeated };
  }

  private page(eventId: string, after: After<string> | undefined, limit: number): CheckinRow[] {
    const records = after
      ? this.pageAfter.all({ eventId, afterHlc: after.value, afterId: after.id, limit: pageLimit(limit) })
      : this.pageFirst.all({ eventId, limit: pageLimit(limit) });
    return records.map(toCheckinRow);
  }

  repository(): CheckinRepository {
    const { database } = this;
    return {
      record: (row, deriveAlerts) => database.write(() => this.record(row, deriveAlerts)),
      findById: (id) =>
        database.read(() => {
          const record = this.byId.get(id);
          return record ? toCheckinRow(record) : null;
        }),
      listForBooking: (bookingId) => database.read(() => this.ofBooking.all(bookingId).map(toCheckinRow)),
      listForEvent: (eventId) => database.read(() => this.ofEvent.all(eventId).map(toCheckinRow)),
      countForEvent: (eventId) => database.read(() => this.countOfEvent.get(eventId)!.n),
      listForBookings: (bookingIds) =>
        database.read(() =>
          (bookingIds.length === 0 ? [] : this.ofBookings.all(jsonList(bookingIds))).map(toCheckinRow),
        ),
      pageForEvent: (eventId, after, limit) => database.read(() => this.page(eventId, after, limit)),
    };
  }
}
