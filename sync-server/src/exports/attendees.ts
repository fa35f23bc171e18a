import type { ATTENDEE_EXPORT_COLUMNS } from '@gatehouse/protocol';
import { compareScans, replayScans, type CheckedInState } from '@gatehouse/protocol';
import type { After, Store } from '../store/port';
import type { BookingRow, CheckinRow, EventRow } from '../store/rows';
import type { CsvRecord } from './csv';
import { zonedTime } from './csv';

/** Bookings read per page; their scans are read with them, in one query. */
export const EXPORT_PAGE = 500;

/** A booking's door state by the door's own rules (protocol's replayScans): undone admissions left out. */
export function doorStateOf(scans: readonly CheckinRow[]): {
  state: CheckedInState;
  firstEntryAt: string | null;
  lastScanAt: string | null;
} {
  const { admittedBy, admitted } = replayScans(scans);
  const voided = new Set(scans.filter((scan) => scan.direction === 'void').map((scan) => scan.voids));
  const standing = scans.filter((scan) => scan.direction !== 'void' && !voided.has(scan.id)).sort(compareScans);
  const firstEntry = standing.find((scan) => scan.direction === 'in') ?? null;
  const last = standing.at(-1) ?? null;
  return {
    state: admittedBy ? 'inside' : admitted ? 'left' : 'never',
    firstEntryAt: firstEntry?.scannedAt ?? null,
    lastScanAt: last?.scannedAt ?? null,
  };
}

function attendeeRecord(event: EventRow, row: BookingRow, scans: readonly CheckinRow[]): CsvRecord {
  const door = doorStateOf(scans);
  const zone = event.timezone;
  return {
    code: row.code,
    name: row.attendee.name,
    email: row.attendee.email ?? '',
    ticketType: event.ticketTypes.find((type) => type.id === row.ticketTypeId)?.name ?? row.ticketTypeId,
    quantity: row.quantity,
    status: row.status,
    source: row.source,
    overCapacity: row.overCapacity,
    createdAt: zonedTime(row.createdAt, zone),
    orderedAt: zonedTime(row.orderedAt, zone),
    checkedIn: door.state,
    firstEntryAt: zonedTime(door.firstEntryAt, zone),
    lastScanAt: zonedTime(door.lastScanAt, zone),
    erasedAt: zonedTime(row.erasedAt, zone),
  } satisfies Record<(typeof ATTENDEE_EXPORT_COLUMNS)[number], unknown>;
}

/**
 * The attendees export's lines: every booking of the event in the order they were made (a keyset
 * walk on creation time and id, which no booking changes, so each is listed once however the event
 * changes meanwhile), each page's scans read with it.
 */
export async function* attendeeRecords(store: Store, event: EventRow): AsyncGenerator<CsvRecord> {
  let after: After<string> | undefined;
  for (;;) {
    const page = await store.bookings.listForEvent(event.id, {}, after, EXPORT_PAGE);
    const rows = page.slice(0, EXPORT_PAGE);
    const scans = await store.checkins.listForBookings(rows.map((row) => row.id));
    const byBooking = new Map<string, CheckinRow[]>();
    for (const scan of scans) {
      const list = byBooking.get(scan.bookingId);
      if (list) list.push(scan);
      else byBooking.set(scan.bookingId, [scan]);
    }
    for (const row of rows) yield attendeeRecord(event, row, byBooking.get(row.id) ?? []);
    if (page.length <= EXPORT_PAGE) return;
    const last = rows[rows.length - 1]!;
    after = { value: last.createdAt, id: last.id };
  }
}
