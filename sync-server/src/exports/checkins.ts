import type { CHECKIN_EXPORT_COLUMNS } from '@gatehouse/protocol';
import { REFUSAL_WORDS } from '@gatehouse/protocol';
import type { After, Store } from '../store/port';
import type { BookingRow, CheckinRow, EventRow, RefusalRow } from '../store/rows';
import { EXPORT_PAGE } from './attendees';
import { zonedTime, type CsvRecord } from './csv';

type DoorRecord = { kind: 'scan'; row: CheckinRow } | { kind: 'refusal'; row: RefusalRow };

/** Rows of one source in (hlc, id) order, read a page at a time. */
async function* paged<R extends { hlc: string; id: string }>(
  read: (after: After<string> | undefined, limit: number) => Promise<R[]>,
): AsyncGenerator<R> {
  let after: After<string> | undefined;
  for (;;) {
    const page = await read(after, EXPORT_PAGE);
    const rows = page.slice(0, EXPORT_PAGE);
    yield* rows;
    if (page.length <= EXPORT_PAGE) return;
    const last = rows[rows.length - 1]!;
    after = { value: last.hlc, id: last.id };
  }
}

/** (hlc, id) as both stores sort them: HLCs are fixed-width text (protocol/src/hlc.ts), so text order is clock order. */
function before(a: { hlc: string; id: string }, b: { hlc: string; id: string }): boolean {
  return a.hlc < b.hlc || (a.hlc === b.hlc && a.id < b.id);
}

/** Scans and refusals merged into one door order. */
async function* doorOrder(store: Store, eventId: string): AsyncGenerator<DoorRecord> {
  const scans = paged((after, limit) => store.checkins.pageForEvent(eventId, after, limit));
  const refusals = paged((after, limit) => store.refusals.pageForEvent(eventId, after, limit));
  let scan = await scans.next();
  let refusal = await refusals.next();
  while (!scan.done || !refusal.done) {
    if (!scan.done && (refusal.done || before(scan.value, refusal.value))) {
      yield { kind: 'scan', row: scan.value };
      scan = await scans.next();
    } else if (!refusal.done) {
      yield { kind: 'refusal', row: refusal.value };
      refusal = await refusals.next();
    }
  }
}

/** Groups of up to EXPORT_PAGE, so the bookings and people they name are read once per group. */
async function* batches<T>(source: AsyncIterable<T>): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of source) {
    batch.push(item);
    if (batch.length >= EXPORT_PAGE) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function kindOf(record: DoorRecord): string {
  if (record.kind === 'refusal') return 'refused';
  return record.row.direction === 'in' ? 'entry' : record.row.direction === 'out' ? 'exit' : 'undo';
}

/**
 * The check-in log's lines: every scan and refused scan of the event in door order (HLC, then id —
 * the order the door's rules replay them in), with the booking code and attendee name of the
 * booking it names (only a booking of this event: a refused ticket of another event names no one)
 * and the name of who scanned, read a page at a time.
 */
export async function* checkinRecords(store: Store, event: EventRow): AsyncGenerator<CsvRecord> {
  const people = new Map<string, string>();
  for await (const batch of batches(doorOrder(store, event.id))) {
    const bookingIds = [...new Set(batch.map((record) => record.row.bookingId).filter((id): id is string => !!id))];
    const bookings = new Map<string, BookingRow>();
    for (const row of await store.bookings.findByIds(bookingIds)) {
      if (row.eventId === event.id) bookings.set(row.id, row);
    }
    const unknown = [...new Set(batch.map((record) => record.row.staffId))].filter((id) => !people.has(id));
    for (const user of await store.users.findByIds(unknown)) people.set(user.id, user.name);
    for (const record of batch) {
      const { row } = record;
      const booking = row.bookingId ? bookings.get(row.bookingId) : undefined;
      yield {
        scannedAt: zonedTime(row.scannedAt, event.timezone),
        kind: kindOf(record),
        gate: row.gate,
        direction: row.direction,
        bookingCode: booking?.code ?? '',
        attendeeName: booking?.attendee.name ?? '',
        reasonCode: record.kind === 'refusal' ? record.row.reason : '',
        reason: record.kind === 'refusal' ? REFUSAL_WORDS[record.row.reason] : '',
        voidsCheckinId: record.kind === 'scan' ? (record.row.voids ?? '') : '',
        deviceId: row.deviceId,
        staffName: people.get(row.staffId) ?? '',
        checkinId: row.id,
        hlc: row.hlc,
      } satisfies Record<(typeof CHECKIN_EXPORT_COLUMNS)[number], unknown>;
    }
  }
}
