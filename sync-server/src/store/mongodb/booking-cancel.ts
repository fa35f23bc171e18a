import type { UpdateFilter } from 'mongodb';
import type { BookingRow } from '../rows';
import type { MongoBookings } from './bookings';
import { fieldsEqual } from './conditional';
import type { StoreContext } from './context';
import { toBookingRow, type BookingDoc } from './documents';
import { sleep } from './queries';
import type { Recounts } from './recounts';
import type { SeatLedger } from './seats';

/** Re-reads of a cancellation FerretDB may have undone (see confirmCancelled). */
const CANCEL_CHECKS = 5;

/** BookingRepository.cancel on MongoDB (MongoBookings.cancel), and its repeat where updates are not isolated. */
export class MongoBookingCancel {
  constructor(
    private readonly context: StoreContext,
    private readonly owner: MongoBookings,
    private readonly seats: SeatLedger,
    private readonly recounts: Recounts,
  ) {}

  async run(
    id: string,
    at: string,
    mailFor: (row: BookingRow) => string[],
  ): Promise<{ row: BookingRow; changed: boolean } | null> {
    const doc = await this.owner.bookings.findOne({ _id: id });
    if (!doc) return null;
    if (doc.status === 'cancelled') return { row: toBookingRow(doc), changed: false };
    const mail = mailFor({ ...toBookingRow(doc), status: 'cancelled', cancelledAt: at, rev: doc.rev + 1 });
    const update: UpdateFilter<BookingDoc> = { $set: { status: 'cancelled', cancelledAt: at } };
    if (mail.length > 0) {
      update.$addToSet = { mailPending: { $each: mail } };
      update.$max = { mailRev: doc.rev + 1 };
      // A hand-off already waiting keeps its age.
      update.$min = { mailSince: new Date() };
    }
    // Seats back in the repair's care first: a crash after the cancel but before the release
    // below then frees them (SeatLedger.repairUnconfirmed), and one before the cancel keeps them.
    await this.seats.unconfirmBooking(id);
    await this.recounts.owe(doc.eventId);
    const cancelled = await this.context.changeLog.updateAndLog(
      this.owner.target,
      id,
      update,
      fieldsEqual<BookingDoc>({ status: 'confirmed' }),
    );
    if (!cancelled) {
      // Lost a race with another cancel: that one releases the seats.
      const now = await this.owner.bookings.findOne({ _id: id });
      return { row: toBookingRow(now ?? doc), changed: false };
    }
    await this.seats.releaseBooking(id);
    await this.recounts.schedule(doc.eventId);
    const final = this.context.capabilities.isolatedUpdates
      ? cancelled
      : await this.confirmCancelled(cancelled, update);
    return { row: toBookingRow(final), changed: true };
  }

  /**
   * Where updates are not isolated (FerretDB rewrites whole documents), a write to this booking
   * from another server process that read it before our cancel can put `confirmed` back (in this
   * process the row lock prevents it). Re-read and re-apply until the cancellation holds, and
   * recount again after a re-apply: the recount started above may have counted the booking while
   * it was back. Where updates are isolated the first write stands and this is never called.
   */
  private async confirmCancelled(cancelled: BookingDoc, update: UpdateFilter<BookingDoc>): Promise<BookingDoc> {
    let latest = cancelled;
    for (let attempt = 0; attempt < CANCEL_CHECKS; attempt++) {
      await sleep(20 * (attempt + 1));
      const now = await this.owner.bookings.findOne({ _id: cancelled._id });
      if (!now || now.status === 'cancelled') return now ?? latest;
      latest = (await this.context.changeLog.updateAndLog(this.owner.target, cancelled._id, update)) ?? latest;
      await this.recounts.schedule(cancelled.eventId);
    }
    return latest;
  }
}
