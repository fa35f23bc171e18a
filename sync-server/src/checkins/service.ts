import { compareHlc, eventBucket, GatehouseError, type Checkin, type MutationArgs } from '@gatehouse/protocol';
import type { Collection, Db } from 'mongodb';
import type { AlertService } from '../alerts/service';
import { isDuplicateKeyError } from '../db/mongo';
import type { ChangeLog, ChangeOf, LoggedRow } from '../sync/changelog';
import { ScanSlots } from './scan-slots';

/** Stored exactly as the protocol's Checkin (the events domain's stats read these fields). */
export type CheckinRow = LoggedRow & Omit<Checkin, 'id'>;

export function toCheckin(row: CheckinRow): Checkin {
  return {
    id: row._id,
    eventId: row.eventId,
    bookingId: row.bookingId,
    gate: row.gate,
    direction: row.direction,
    scannedAt: row.scannedAt,
    deviceId: row.deviceId,
    staffId: row.staffId,
    hlc: row.hlc,
    receivedAt: row.receivedAt,
  };
}

export const checkinChange: ChangeOf<CheckinRow> = (row) => ({
  bucket: eventBucket(row.eventId),
  type: 'checkin',
  id: row._id,
  doc: toCheckin(row),
});

type BookingFacts = { _id: string; eventId: string; status: 'confirmed' | 'cancelled'; attendee?: { name?: string } };

/** The duplicate entries in a booking's check-ins: an `in` while already inside, with the entry that admitted. */
export function findDuplicateEntries(
  checkins: Pick<Checkin, 'id' | 'direction' | 'hlc'>[],
): { checkinId: string; firstCheckinId: string }[] {
  const ordered = [...checkins].sort((a, b) => compareHlc(a.hlc, b.hlc) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const duplicates: { checkinId: string; firstCheckinId: string }[] = [];
  let admittedBy: string | null = null;
  for (const checkin of ordered) {
    if (checkin.direction === 'out') admittedBy = null;
    else if (admittedBy === null) admittedBy = checkin.id;
    else duplicates.push({ checkinId: checkin.id, firstCheckinId: admittedBy });
  }
  return duplicates;
}

/**
 * Check-ins are append-only facts: one row per scan, its id chosen by the device, never updated.
 * Whether a ticket is inside is derived from its scans ordered by hybrid logical clock, so two
 * devices that admitted the same ticket while both offline converge on one admission (the earlier
 * HLC) and one duplicate-entry alert, whichever push arrives first.
 */
export class CheckinService {
  readonly checkins: Collection<CheckinRow>;
  private readonly bookings: Collection<BookingFacts>;

  private readonly scanSlots: ScanSlots;

  constructor(
    db: Db,
    private readonly changeLog: ChangeLog,
    private readonly alerts: AlertService,
  ) {
    this.checkins = db.collection<CheckinRow>('checkins');
    this.bookings = db.collection<BookingFacts>('bookings');
    this.scanSlots = new ScanSlots(db);
  }

  async ensureIndexes(): Promise<void> {
    await this.checkins.createIndex({ bookingId: 1, hlc: 1 });
    await this.checkins.createIndex({ eventId: 1, scannedAt: 1 });
  }

  repairPending(): Promise<number> {
    return this.changeLog.repairPending(this.checkins, checkinChange);
  }

  /**
   * Records one scan. The caller has already checked that `staffId` may check in at this event.
   * Idempotent on `args.id`: the same scan again is accepted as it stands; a different scan under
   * the same id is a CONFLICT.
   */
  async record(
    args: MutationArgs<'checkin.record'>,
    by: { staffId: string; deviceId: string; hlc: string },
  ): Promise<Checkin> {
    const booking = await this.bookings.findOne(
      { _id: args.bookingId },
      { projection: { eventId: 1, status: 1, 'attendee.name': 1 } },
    );
    // Another event's booking answers like a missing one: ids of other events' bookings do not leak.
    if (!booking || booking.eventId !== args.eventId) {
      throw new GatehouseError('NOT_FOUND', `No booking ${args.bookingId} in this event`);
    }
    const row: CheckinRow = {
      _id: args.id,
      rev: 0,
      eventId: args.eventId,
      bookingId: args.bookingId,
      gate: args.gate,
      direction: args.direction,
      scannedAt: args.scannedAt,
      deviceId: by.deviceId,
      staffId: by.staffId,
      hlc: by.hlc,
      receivedAt: new Date().toISOString(),
    };
    let stored: CheckinRow;
    try {
      stored = await this.changeLog.insertAndLog(this.checkins, row, checkinChange);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const existing = await this.checkins.findOne({ _id: args.id });
      const sameScan =
        existing &&
        existing.bookingId === row.bookingId &&
        existing.direction === row.direction &&
        existing.gate === row.gate &&
        existing.staffId === row.staffId;
      if (!sameScan) throw new GatehouseError('CONFLICT', `Check-in id ${args.id} is already used by another scan`);
      stored = existing;
    }
    // Re-derived even on a repeat, so a server that died before raising an alert is made good.
    await this.deriveAlerts(booking, stored);
    return toCheckin(stored);
  }

  private async deriveAlerts(booking: BookingFacts, checkin: CheckinRow): Promise<void> {
    const who = booking.attendee?.name ? ` (${booking.attendee.name})` : '';
    if (booking.status === 'cancelled') {
      if (checkin.direction === 'in') {
        await this.alerts.raise({
          id: `cancelled-${checkin._id}`,
          eventId: checkin.eventId,
          kind: 'cancelledCheckin',
          bookingId: booking._id,
          checkinId: checkin._id,
          firstCheckinId: null,
          message: `Cancelled booking ${booking._id}${who} was checked in at gate ${checkin.gate}`,
          createdAt: new Date().toISOString(),
        });
      }
      return;
    }
    const history = await this.scanSlots.record(booking._id, {
      checkinId: checkin._id,
      direction: checkin.direction,
      hlc: checkin.hlc,
      gate: checkin.gate,
    });
    // A booking's first scan (most tickets are scanned once) cannot be a duplicate; nor can an exit.
    if (checkin.direction !== 'in' || history.length === 1) return;
    const duplicates = findDuplicateEntries(
      history.map((scan) => ({ id: scan.checkinId, direction: scan.direction, hlc: scan.hlc })),
    );
    const gates = new Map(history.map((scan) => [scan.checkinId, scan.gate]));
    await this.alerts.raiseMissing(
      duplicates.map((duplicate) => ({
        id: `dup-${duplicate.checkinId}`,
        eventId: checkin.eventId,
        kind: 'duplicateEntry' as const,
        bookingId: booking._id,
        checkinId: duplicate.checkinId,
        firstCheckinId: duplicate.firstCheckinId,
        message:
          `Ticket ${booking._id}${who} entered again at gate ${gates.get(duplicate.checkinId) ?? '?'} ` +
          `without leaving since its entry at gate ${gates.get(duplicate.firstCheckinId) ?? '?'}`,
        createdAt: new Date().toISOString(),
      })),
    );
  }
}
