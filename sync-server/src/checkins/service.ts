import { compareHlc, type Checkin, type MutationArgs } from '@gatehouse/protocol';
import type { DeriveAlerts, ScanFact, Store, StoreOp } from '../store/port';
import type { AlertRow, BookingRow, CheckinRow } from '../store/rows';
import { toCheckin } from '../store/wire';

/**
 * The duplicate entries in a booking's scans: an `in` while already inside, with the entry that
 * admitted. Entry state is derived by HLC order, then id (docs/ARCHITECTURE.md §3, Conflicts), so every server
 * and device that holds the same scans finds the same duplicates, whatever order they arrived in.
 */
export function findDuplicateEntries(
  scans: Pick<ScanFact, 'checkinId' | 'direction' | 'hlc'>[],
): { checkinId: string; firstCheckinId: string }[] {
  const ordered = [...scans].sort(
    (a, b) => compareHlc(a.hlc, b.hlc) || (a.checkinId < b.checkinId ? -1 : a.checkinId > b.checkinId ? 1 : 0),
  );
  const duplicates: { checkinId: string; firstCheckinId: string }[] = [];
  let admittedBy: string | null = null;
  for (const scan of ordered) {
    if (scan.direction === 'out') admittedBy = null;
    else if (admittedBy === null) admittedBy = scan.checkinId;
    else duplicates.push({ checkinId: scan.checkinId, firstCheckinId: admittedBy });
  }
  return duplicates;
}

/**
 * The alerts one scan makes: a cancelled booking that was let in (`cancelled-<checkinId>`), or
 * an entry without an exit since the last one (`dup-<checkinId>`, naming the first). Ids derive
 * from their cause, so deriving them again (a retried scan, another server) raises nothing twice.
 * A booking's first scan (most tickets are scanned once) cannot be a duplicate, nor can an exit.
 */
export const deriveCheckinAlerts: DeriveAlerts = (booking: BookingRow, scan: CheckinRow, history: ScanFact[]) => {
  const who = booking.attendee.name ? ` (${booking.attendee.name})` : '';
  const at = new Date().toISOString();
  if (booking.status === 'cancelled') {
    if (scan.direction !== 'in') return [];
    return [
      {
        id: `cancelled-${scan.id}`,
        eventId: scan.eventId,
        kind: 'cancelledCheckin',
        bookingId: booking.id,
        checkinId: scan.id,
        firstCheckinId: null,
        message: `Cancelled booking ${booking.id}${who} was checked in at gate ${scan.gate}`,
        createdAt: at,
      },
    ];
  }
  if (scan.direction !== 'in' || history.length <= 1) return [];
  const gates = new Map(history.map((fact) => [fact.checkinId, fact.gate]));
  return findDuplicateEntries(history).map((duplicate): Omit<AlertRow, 'rev'> => ({
    id: `dup-${duplicate.checkinId}`,
    eventId: scan.eventId,
    kind: 'duplicateEntry',
    bookingId: booking.id,
    checkinId: duplicate.checkinId,
    firstCheckinId: duplicate.firstCheckinId,
    message:
      `Ticket ${booking.id}${who} entered again at gate ${gates.get(duplicate.checkinId) ?? '?'} ` +
      `without leaving since its entry at gate ${gates.get(duplicate.firstCheckinId) ?? '?'}`,
    createdAt: at,
  }));
};

/**
 * Check-ins are append-only facts: one row per scan, its id chosen by the device, never updated.
 * Whether a ticket is inside is derived from its scans ordered by hybrid logical clock, so two
 * devices that admitted the same ticket while both offline converge on one admission (the earlier
 * HLC) and one duplicate-entry alert, whichever push arrives first.
 */
export class CheckinService {
  constructor(private readonly store: Store) {}

  /** The store write of one scan; the caller has checked that `staffId` may check in at this event. */
  recordOp(args: MutationArgs<'checkin.record'>, by: { staffId: string; deviceId: string; hlc: string }): StoreOp {
    return {
      kind: 'recordCheckIn',
      row: {
        id: args.id,
        eventId: args.eventId,
        bookingId: args.bookingId,
        gate: args.gate,
        direction: args.direction,
        scannedAt: args.scannedAt,
        deviceId: by.deviceId,
        staffId: by.staffId,
        hlc: by.hlc,
        receivedAt: new Date().toISOString(),
      },
      deriveAlerts: deriveCheckinAlerts,
    };
  }

  /**
   * Records one scan outside a push (tests, tools). Idempotent on `args.id`; NOT_FOUND for a
   * booking of another event; CONFLICT for another scan under the same id.
   */
  async record(
    args: MutationArgs<'checkin.record'>,
    by: { staffId: string; deviceId: string; hlc: string },
  ): Promise<Checkin> {
    const op = this.recordOp(args, by);
    if (op.kind !== 'recordCheckIn') throw new Error('unreachable');
    return toCheckin((await this.store.checkins.record(op.row, op.deriveAlerts)).row);
  }
}
