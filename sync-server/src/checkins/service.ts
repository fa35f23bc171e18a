import { compareHlc, findDuplicateEntries, type Checkin, type MutationArgs } from '@gatehouse/protocol';
import type { BookingForAlerts, DeriveAlerts, ScanFact, Store, StoreOp } from '../store/port';
import type { NewAlertRow, CheckinRow, EventRow } from '../store/rows';
import { toCheckin } from '../store/wire';

/** What the alerts read of the scan's event: whether, and from which HLC on, it is cancelled. */
export type EventForAlerts = Pick<EventRow, 'status' | 'fieldHlc'>;

/**
 * The alerts one scan makes at `event`:
 * - someone let in on a cancelled booking, or at a cancelled event by a scan made after the
 *   cancellation (HLC order: people admitted before it were let in rightly) (`cancelled-<checkinId>`);
 * - an entry without an exit since the last one (`dup-<checkinId>`, naming the first), found by
 *   protocol's door rules (`findDuplicateEntries`: HLC order, then id) — the device's rules too.
 * Ids derive from their cause, so deriving them again (a retried scan, another server) raises
 * nothing twice. A booking's first scan (most tickets are scanned once) cannot be a duplicate, nor
 * can an exit. The scan itself is kept either way: it is a fact, whatever the rules make of it.
 */
export function checkinAlertsFor(event: EventForAlerts): DeriveAlerts {
  const cancelledAt = event.status === 'cancelled' ? (event.fieldHlc.status ?? '') : null;
  return (booking: BookingForAlerts, scan: CheckinRow, history: ScanFact[]) => {
    const eventCancelled = cancelledAt !== null && compareHlc(scan.hlc, cancelledAt) > 0;
    const who = booking.attendee.name ? ` (${booking.attendee.name})` : '';
    const at = new Date().toISOString();
    if (eventCancelled || booking.status === 'cancelled') {
      if (scan.direction !== 'in') return [];
      return [
        {
          id: `cancelled-${scan.id}`,
          eventId: scan.eventId,
          kind: 'cancelledCheckin',
          bookingId: booking.id,
          checkinId: scan.id,
          firstCheckinId: null,
          message: eventCancelled
            ? `Booking ${booking.id}${who} was checked in at gate ${scan.gate}, but the event is cancelled`
            : `Cancelled booking ${booking.id}${who} was checked in at gate ${scan.gate}`,
          createdAt: at,
        },
      ];
    }
    if (scan.direction !== 'in' || history.length <= 1) return [];
    const gates = new Map(history.map((fact) => [fact.checkinId, fact.gate]));
    const ordered = history.map((fact) => ({
      id: fact.checkinId,
      direction: fact.direction,
      hlc: fact.hlc,
      voids: fact.voids,
    }));
    return findDuplicateEntries(ordered).map((duplicate): NewAlertRow => ({
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
}

/** The alerts of a scan at an event that is not cancelled. */
export const deriveCheckinAlerts: DeriveAlerts = checkinAlertsFor({ status: 'published', fieldHlc: {} });

/**
 * Check-ins are append-only facts: one row per scan, its id chosen by the device, never updated.
 * Whether a ticket is inside is derived from its scans ordered by hybrid logical clock, so two
 * devices that admitted the same ticket while both offline converge on one admission (the earlier
 * HLC) and one duplicate-entry alert, whichever push arrives first.
 */
export class CheckinService {
  constructor(private readonly store: Store) {}

  /**
   * The store write of one scan; the caller has checked that `staffId` may check in at this event,
   * and read its status (a scan made at a cancelled event is kept, and raises an alert).
   */
  recordOp(
    args: MutationArgs<'checkin.record'>,
    by: { staffId: string; deviceId: string; hlc: string },
    event: EventForAlerts = { status: 'published', fieldHlc: {} },
  ): StoreOp {
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
      deriveAlerts: checkinAlertsFor(event),
    };
  }

  /** The store write of an undo: a void row naming `admission` (the applier checked voidRefusal). */
  voidOp(
    args: MutationArgs<'checkin.void'>,
    admission: CheckinRow,
    by: { staffId: string; deviceId: string; hlc: string },
    event: EventForAlerts,
  ): StoreOp {
    return {
      kind: 'recordCheckIn',
      row: {
        id: args.id,
        eventId: args.eventId,
        bookingId: admission.bookingId,
        gate: args.gate,
        direction: 'void',
        voids: admission.id,
        scannedAt: args.voidedAt,
        deviceId: by.deviceId,
        staffId: by.staffId,
        hlc: by.hlc,
        receivedAt: new Date().toISOString(),
      },
      deriveAlerts: checkinAlertsFor(event),
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
