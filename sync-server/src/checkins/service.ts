import { compareHlc, eventBucket, GatehouseError, type Checkin, type MutationArgs } from '@gatehouse/protocol';
import type { Collection, Db } from 'mongodb';
import type { AlertService } from '../alerts/service';
import { GroupWriter, insertEach } from '../db/group-writer';
import { isDuplicateKeyError } from '../db/mongo';
import type { ChangeLog, ChangeOf, LoggedRow } from '../sync/changelog';

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

  /** One document per booking ever scanned, `_id` = booking id: who was first (see `deriveAlerts`). */
  private readonly firstScans: Collection<{ _id: string; checkinId: string }>;
  private readonly firstScanClaims: GroupWriter<{ _id: string; checkinId: string }, true>;

  constructor(
    db: Db,
    private readonly changeLog: ChangeLog,
    private readonly alerts: AlertService,
  ) {
    this.checkins = db.collection<CheckinRow>('checkins');
    this.bookings = db.collection<BookingFacts>('bookings');
    this.firstScans = db.collection('checkinFirstScans');
    this.firstScanClaims = new GroupWriter((claims) => insertEach(this.firstScans, claims));
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

  /**
   * Most tickets are scanned once, and the history read below is the costly part of a check-in
   * (a scan of the collection on FerretDB). The first scan of a booking claims its `firstScans`
   * document by a unique insert, after its own check-in was inserted: any later or concurrent scan
   * of that booking loses the claim only after ours is readable, reads the history, and sees it.
   * So the first scan alone cannot be a duplicate and need not read anything. A repeat of the same
   * scan (a retry) finds its own claim and re-derives as before.
   */
  private async isFirstScan(checkin: CheckinRow): Promise<boolean> {
    try {
      await this.firstScanClaims.write({ _id: checkin.bookingId, checkinId: checkin._id });
      return true;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      return false;
    }
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
    if (await this.isFirstScan(checkin)) return;
    if (checkin.direction !== 'in') return;
    // Reading every scan of the booking after our insert: of two racing servers, the later reader
    // sees both scans, so at least one of them raises the alert (its id makes it one row).
    const history = await this.checkins
      .find({ bookingId: booking._id }, { projection: { _id: 1, direction: 1, hlc: 1, gate: 1 } })
      .limit(1000)
      .toArray();
    const duplicates = findDuplicateEntries(history.map((c) => ({ id: c._id, direction: c.direction, hlc: c.hlc })));
    const gates = new Map(history.map((c) => [c._id, c.gate]));
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
