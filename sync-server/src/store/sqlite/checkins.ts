import type { GatehouseError } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { storeErrors } from '../errors';
import type { After, BookingForAlerts, CheckinRepository, DeriveAlerts, ScanFact } from '../port';
import type { CheckinRow } from '../rows';
import { changeOf } from '../wire';
import type { SqliteAlerts } from './alerts';
import type { SqliteBookings } from './bookings';
import type { ChangeLog } from './changes';
import type { SqliteDatabase } from './database';
import { jsonList, MultiRowInsert, pageLimit } from './sql';

/** Check-ins inserted per statement by recordMany (12 values each). */
const ROWS_PER_INSERT = 100;

/** One scan of SqliteCheckins.recordMany: the row to record and the alerts its event derives. */
export type ScanToRecord = { row: Omit<CheckinRow, 'rev'>; deriveAlerts: DeriveAlerts };

/** What recording one scan came to: as `record` answers, or the client error `record` would throw. */
export type ScanOutcome = { row: CheckinRow; repeated: boolean } | { error: GatehouseError };

type ScanFactRecord = {
  checkinId: string;
  bookingId: string;
  direction: 'in' | 'out' | 'void';
  hlc: string;
  gate: string;
  voids: string | null;
};

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
/**
 * Whether a stored check-in is the scan `input` describes again (a retried push, the same device's
 * id): same booking, direction, voided scan, gate and steward. Anything else under that id is
 * another scan that took it (CHECKIN_ID_TAKEN).
 */
function isSameScan(existing: CheckinRecord, input: Omit<CheckinRow, 'rev'>): boolean {
  return (
    existing.booking_id === input.bookingId &&
    existing.direction === input.direction &&
    (existing.voids ?? undefined) === input.voids &&
    existing.gate === input.gate &&
    existing.staff_id === input.staffId
  );
}

function scanFactOf(record: Omit<ScanFactRecord, 'bookingId'>): ScanFact {
  return {
    checkinId: record.checkinId,
    direction: record.direction,
    hlc: record.hlc,
    gate: record.gate,
    voids: record.voids ?? undefined,
  };
}

export class SqliteCheckins {
  private readonly byId: Database.Statement<[string], CheckinRecord>;
  private readonly insertRow: Database.Statement<CheckinRecord>;
  private readonly insertMany: MultiRowInsert<{ id: string }>;
  private readonly scansOfMany: Database.Statement<[string], ScanFactRecord>;
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
    this.insertMany = new MultiRowInsert(
      db,
      `INSERT INTO checkins (id, event_id, booking_id, gate, direction, voids, scanned_at, device_id, staff_id, hlc, received_at, rev)
       VALUES`,
      12,
      'ON CONFLICT (id) DO NOTHING RETURNING id',
    );
    this.scansOfMany = db.prepare(
      `SELECT id AS checkinId, booking_id AS bookingId, direction, hlc, gate, voids FROM checkins
       WHERE booking_id IN (SELECT value FROM json_each(?))`,
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
      const sameScan = isSameScan(existing, input);
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

  /**
   * Records `scans` in their order inside the caller's transaction, with the outcome and the writes
   * of `record` called on each in turn — rows, change-log appends (same buckets, no holes), alerts
   * derived from the history each scan would have seen — but a few statements for the whole run
   * instead of ~6 per scan: the bookings read in one, new rows inserted (and the change log
   * appended) a hundred per statement, the bookings' scans read in one. A scan whose booking is
   * not its event's, or whose id another scan holds, writes nothing and answers the error `record`
   * would throw (its savepoint undone there).
   */
  recordMany(scans: readonly ScanToRecord[]): ScanOutcome[] {
    const bookings = this.bookings.findForScans([...new Set(scans.map((scan) => scan.row.bookingId))]);
    const outcomes: Array<ScanOutcome | undefined> = new Array(scans.length);
    const valid: number[] = [];
    scans.forEach((scan, index) => {
      const booking = bookings.get(scan.row.bookingId);
      // Another event's booking answers like a missing one: ids of other events' bookings do not leak.
      if (!booking || booking.eventId !== scan.row.eventId) {
        outcomes[index] = { error: storeErrors.bookingNotInEvent(scan.row.bookingId) };
      } else valid.push(index);
    });
    // The scans the run's bookings had before it, read before the run's rows go in: the history a
    // scan derives its alerts from is these and the run's own rows up to it (raiseAlertsOf), so
    // nothing just written is read back, and a booking's first scan — most of them — costs one
    // index probe that finds nothing, on the page the insert then writes.
    const before = this.scansBefore(valid.map((index) => scans[index]!.row.bookingId));
    // Rows go in in VALUES order, so of two scans of one id in the run the first is inserted.
    const inserted = new Set<string>();
    for (let start = 0; start < valid.length; start += ROWS_PER_INSERT) {
      const slice = valid.slice(start, start + ROWS_PER_INSERT);
      const values: unknown[] = [];
      for (const index of slice) {
        const row = scans[index]!.row;
        values.push(
          row.id,
          row.eventId,
          row.bookingId,
          row.gate,
          row.direction,
          row.voids ?? null,
          row.scannedAt,
          row.deviceId,
          row.staffId,
          row.hlc,
          row.receivedAt,
          1,
        );
      }
      for (const { id } of this.insertMany.forRows(slice.length).all(...values)) inserted.add(id);
    }
    const fresh: CheckinRow[] = [];
    const claimed = new Set<string>();
    for (const index of valid) {
      const input = scans[index]!.row;
      if (inserted.has(input.id) && !claimed.has(input.id)) {
        claimed.add(input.id);
        const row: CheckinRow = { ...input, rev: 1 };
        fresh.push(row);
        outcomes[index] = { row, repeated: false };
        continue;
      }
      const existing = this.byId.get(input.id)!;
      const sameScan = isSameScan(existing, input);
      outcomes[index] = sameScan
        ? { row: toCheckinRow(existing), repeated: true }
        : { error: storeErrors.checkinIdTaken(input.id) };
    }
    this.changes.appendMany(fresh.map((row) => changeOf.checkin(row)));
    this.raiseAlertsOf(scans, outcomes, bookings, before);
    return outcomes as ScanOutcome[];
  }

  /** The stored scans of `bookingIds`, by booking (a booking with none is absent). */
  private scansBefore(bookingIds: readonly string[]): Map<string, ScanFact[]> {
    const factsOf = new Map<string, ScanFact[]>();
    if (bookingIds.length === 0) return factsOf;
    for (const fact of this.scansOfMany.all(jsonList([...new Set(bookingIds)]))) {
      let facts = factsOf.get(fact.bookingId);
      if (!facts) factsOf.set(fact.bookingId, (facts = []));
      facts.push(scanFactOf(fact));
    }
    return factsOf;
  }

  /**
   * The alerts of recordMany's scans, each derived from the scans of its booking as `record` would
   * have read them: those stored before the run (`before`, grown here as it goes) and the rows the
   * run inserted up to it, in order.
   */
  private raiseAlertsOf(
    scans: readonly ScanToRecord[],
    outcomes: ReadonlyArray<ScanOutcome | undefined>,
    bookings: ReadonlyMap<string, BookingForAlerts>,
    before: Map<string, ScanFact[]>,
  ): void {
    outcomes.forEach((outcome, index) => {
      if (!outcome || !('row' in outcome)) return;
      const { row, repeated } = outcome;
      let history = before.get(row.bookingId);
      if (!history) before.set(row.bookingId, (history = []));
      // A repeat's row was stored before the run (or inserted earlier in it): already in the history.
      if (!repeated) history.push(scanFactOf({ checkinId: row.id, ...row, voids: row.voids ?? null }));
      for (const alert of scans[index]!.deriveAlerts(bookings.get(row.bookingId)!, row, [...history])) {
        this.alerts.raise(alert);
      }
    });
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
