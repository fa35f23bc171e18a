import type { Collection } from 'mongodb';
import { storeErrors } from '../errors';
import type { After, CheckinRepository, DeriveAlerts, ScanFact } from '../port';
import type { CheckinRow } from '../rows';
import { changeOf } from '../wire';
import type { MongoAlerts } from './alerts';
import type { LoggedCollection } from './changelog';
import { checkinDocOf, CheckinRuns, factOf, sameScan, type RunOutcome, type RunScan } from './checkin-runs';
import type { StoreContext } from './context';
import { COLLECTIONS, toBookingRow, toCheckinRow, type BookingDoc, type CheckinDoc } from './documents';
import { isDuplicateKeyError } from './errors';
import { afterKey } from './queries';
import { MAX_SCANS_PER_BOOKING, ScanSlots } from './scan-slots';

type Booking = { doc: BookingDoc; history: ScanFact[] | null; pushed: boolean };

/**
 * Check-ins are append-only facts: one row per scan, its id chosen by the device, never updated.
 * Duplicate-entry detection needs every scan of the booking, this one included, such that of two
 * concurrent scans the later sees the earlier. Where updates are isolated (MongoDB) the scan is
 * `$push`ed onto its booking by the same command that reads the booking — one round trip for both,
 * and the later push returns both. Elsewhere (FerretDB) the booking's scans are slot documents
 * taken by unique insert (scan-slots.ts). A push's run of scans goes through `recordMany`, which
 * does each step for the whole run at once (checkin-runs.ts).
 */
export class MongoCheckins implements CheckinRepository {
  readonly target: LoggedCollection<CheckinDoc>;
  private readonly bookings: Collection<BookingDoc>;
  private readonly slots: ScanSlots;
  private readonly runs: CheckinRuns;

  constructor(
    private readonly context: StoreContext,
    private readonly alerts: MongoAlerts,
  ) {
    this.target = context.changeLog.register({
      collection: context.db.collection<CheckinDoc>(COLLECTIONS.checkins),
      toChange: (doc) => changeOf.checkin(toCheckinRow(doc)),
    });
    this.bookings = context.db.collection<BookingDoc>(COLLECTIONS.bookings);
    this.slots = new ScanSlots(context);
    this.runs = new CheckinRuns(context, this.target, this.bookings, this.slots, alerts);
  }

  /**
   * A push's run of scans recorded together in a few commands (checkin-runs.ts), each as `record`
   * would record it in run order; per scan its outcome or its own error. The ledger's batch path.
   */
  recordMany(scans: RunScan[]): Promise<RunOutcome[]> {
    return this.runs.record(scans);
  }

  async record(
    row: Omit<CheckinRow, 'rev'>,
    deriveAlerts: DeriveAlerts,
  ): Promise<{ row: CheckinRow; repeated: boolean }> {
    const fact = factOf(row);
    const booking = this.context.capabilities.isolatedUpdates
      ? await this.pushScan(row, fact)
      : await this.readBooking(row);
    let stored: CheckinDoc;
    let repeated = false;
    try {
      stored = await this.context.changeLog.insertAndLog(this.target, checkinDocOf(row));
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const existing = await this.target.collection.findOne({ _id: row.id });
      if (!existing || !sameScan(existing, row)) {
        // Our push named a check-in that is another scan's: take it back out of this booking's history.
        if (booking.pushed)
          await this.bookings.updateOne({ _id: row.bookingId }, { $pull: { scans: { checkinId: row.id } } });
        throw storeErrors.checkinIdTaken(row.id);
      }
      stored = existing;
      repeated = true;
    }
    const history = booking.history ?? (await this.slots.record(row.bookingId, fact));
    const checkin = toCheckinRow(stored);
    // Derived even on a repeat, so a server that died before raising an alert is made good.
    await this.alerts.raiseMissing(deriveAlerts(toBookingRow(booking.doc), checkin, history));
    return { row: checkin, repeated };
  }

  /** Another event's booking answers like a missing one: ids of other events' bookings do not leak. */
  private async readBooking(row: Omit<CheckinRow, 'rev'>): Promise<Booking> {
    const doc = await this.bookings.findOne({ _id: row.bookingId });
    if (!doc || doc.eventId !== row.eventId) throw storeErrors.bookingNotInEvent(row.bookingId);
    return { doc, history: null, pushed: false };
  }

  /** One isolated `findOneAndUpdate`: the booking, and its scans with this one appended (once). */
  private async pushScan(row: Omit<CheckinRow, 'rev'>, fact: ScanFact): Promise<Booking> {
    const pushed = await this.bookings.findOneAndUpdate(
      {
        _id: row.bookingId,
        eventId: row.eventId,
        'scans.checkinId': { $ne: row.id },
        [`scans.${MAX_SCANS_PER_BOOKING - 1}`]: { $exists: false },
      },
      { $push: { scans: fact } },
      { returnDocument: 'after' },
    );
    if (pushed) return { doc: pushed, history: pushed.scans ?? [fact], pushed: true };
    const { doc } = await this.readBooking(row);
    const history = doc.scans ?? [];
    if (!history.some((scan) => scan.checkinId === row.id)) {
      throw new Error(`booking ${row.bookingId} has ${MAX_SCANS_PER_BOOKING} scans`);
    }
    return { doc, history, pushed: false };
  }

  async findById(id: string): Promise<CheckinRow | null> {
    const doc = await this.target.collection.findOne({ _id: id });
    return doc ? toCheckinRow(doc) : null;
  }

  async listForBooking(bookingId: string): Promise<CheckinRow[]> {
    const docs = await this.target.collection.find({ bookingId }).sort({ hlc: 1, _id: 1 }).toArray();
    return docs.map(toCheckinRow);
  }

  async listForEvent(eventId: string): Promise<CheckinRow[]> {
    const docs = await this.target.collection.find({ eventId }).sort({ _id: 1 }).toArray();
    return docs.map(toCheckinRow);
  }

  async listForBookings(bookingIds: string[]): Promise<CheckinRow[]> {
    if (bookingIds.length === 0) return [];
    const docs = await this.target.collection.find({ bookingId: { $in: [...new Set(bookingIds)] } }).toArray();
    return docs.map(toCheckinRow);
  }

  async pageForEvent(eventId: string, after: After<string> | undefined, limit: number): Promise<CheckinRow[]> {
    const docs = await this.target.collection
      .find({ $and: [{ eventId }, afterKey<CheckinDoc>('hlc', 1, after)] })
      .sort({ hlc: 1, _id: 1 })
      .limit(limit + 1)
      .toArray();
    return docs.map(toCheckinRow);
  }

  countForEvent(eventId: string): Promise<number> {
    return this.target.collection.countDocuments({ eventId });
  }
}
