import type { Filter, UpdateFilter } from 'mongodb';
import { seatsLeft, storeErrors } from '../errors';
import { foldForSearch } from '@gatehouse/protocol';
import type {
  After,
  BookInput,
  BookingListFilter,
  BookingRepository,
  BookOutcome,
  ImportChunk,
  ImportRowOutcome,
  ErasureInput,
  NewBooking,
} from '../port';
import { MongoBookingCancel } from './booking-cancel';
import { MongoBulkBookings } from './booking-bulk';
import { MongoBookingImports } from './booking-imports';
import type { BookingRow } from '../rows';
import { searchTermsOf } from '../search-words';
import { changeOf } from '../wire';
import type { MongoAlerts } from './alerts';
import type { LoggedCollection } from './changelog';
import type { StoreContext } from './context';
import { BOOKING_LIST_PROJECTION, COLLECTIONS, toBookingRow, type BookingDoc, type EventDoc } from './documents';
import { MongoErasure } from './erasure';
import { isDuplicateKeyError } from './errors';
import type { MongoEvents } from './events';
import { afterKey, escapeRegex, findByIds, sleep } from './queries';
import { countSeats, type Recounts } from './recounts';
import { scopesOf, type SeatLedger, type SeatOwnerState, type SlotHints } from './seats';

const MAX_CODE_ATTEMPTS = 5;
/** Holds given back because a lowered limit was exceeded by racing holders are retried this often. */
const OVER_LIMIT_RETRIES = 3;
/** Far above any request's duration: a booking still being written never loses its seats. */
export const SEAT_REPAIR_AGE_MS = 2 * 60_000;

type Held = { seatIds: string[]; overCapacity: boolean };

/** How `MongoBookings.book` serves a caller that books many in a row (see there). */
export type BookMany = {
  recount?: 'awaited' | 'by-caller';
  slots?: SlotHints;
  /** `unexplained`: SOLD_OUT without the seats left, which cost a count of the event's bookings. */
  soldOut?: 'explained' | 'unexplained';
};

/**
 * Bookings, with seats held in the seat ledger (seats.ts) before the booking is inserted and
 * confirmed after: no counter on the event document, whose updates FerretDB does not isolate. The
 * event's `bookedCount` / `typeSold` are a snapshot recounted after each booking change, or after
 * each chunk of a CSV import (recounts.ts).
 */
export class MongoBookings implements BookingRepository {
  readonly target: LoggedCollection<BookingDoc>;
  private readonly erasure: MongoErasure;

  constructor(
    private readonly context: StoreContext,
    private readonly events: MongoEvents,
    private readonly seats: SeatLedger,
    private readonly recounts: Recounts,
    private readonly alerts: MongoAlerts,
  ) {
    this.target = context.changeLog.register({
      collection: context.db.collection<BookingDoc>(COLLECTIONS.bookings),
      toChange: (doc) => changeOf.booking(toBookingRow(doc)),
    });
    this.erasure = new MongoErasure(context, this.target, alerts.target);
  }

  erase(id: string, input: ErasureInput): Promise<{ row: BookingRow; changed: boolean } | null> {
    return this.erasure.erase(id, input);
  }

  listNotErased(eventId: string, limit: number): Promise<string[]> {
    return this.erasure.listNotErased(eventId, limit);
  }

  get bookings() {
    return this.target.collection;
  }

  /** A CSV import's chunk, row by row (booking-imports.ts). */
  importRows(chunk: ImportChunk): Promise<ImportRowOutcome[]> {
    return new MongoBookingImports(this.context, this, this.events, this.seats, this.recounts).run(chunk);
  }

  /**
   * The port's `book`, and for a caller that books many in a row (a CSV import's chunk), `many`:
   * `recount: 'by-caller'` answers without waiting for the event's seat counts to include this
   * booking (the caller schedules one recount after them all), `slots` carries what the ledger
   * learnt of the scopes' taken slots from one booking to the next (SlotHints), and `soldOut:
   * 'unexplained'` refuses without counting what is left. Capacity is judged by the seat ledger
   * either way.
   */
  async book(input: BookInput, many: BookMany = {}): Promise<BookOutcome> {
    const booking = input.booking;
    // A booking with this id already: a retried walk-in or idempotent request, whatever the event's state now.
    const existing = await this.bookings.findOne({ _id: booking.id });
    if (existing) return this.replay(existing, input);
    const event = await this.events.liveDoc(booking.eventId);
    if (!event) throw storeErrors.eventNotFound();
    this.assertBookable(event, input);
    const held = await this.holdSeats(event, input, many);
    return this.insertHolding(held, input, many);
  }

  private assertBookable(event: EventDoc, input: BookInput): void {
    if (!input.statuses.includes(event.status)) throw storeErrors.notBookable(event.status);
    if (!event.ticketTypes.some((type) => type.id === input.booking.ticketTypeId)) {
      throw storeErrors.unknownTicketType(input.booking.ticketTypeId);
    }
  }

  private async replay(existing: BookingDoc, input: BookInput): Promise<BookOutcome> {
    if (existing.eventId !== input.booking.eventId) throw storeErrors.bookingOfOtherEvent();
    const row = toBookingRow(existing);
    // A crash after the insert may have cut off the alert; raising is idempotent.
    if (row.overCapacity && input.overCapacityAlert) await this.alerts.raise(input.overCapacityAlert(row));
    return { row, replayed: true };
  }

  /**
   * Seats for the booking, judged by the event as it is: after the hold the event is read again,
   * so a limit lowered (or a status changed) since the first read holds at once. `flag` takes
   * what is free, and otherwise seats above the limits (SeatLedger.holdOverLimits), flagging the
   * booking over capacity: it still counts among the holders, so a seat another booking gives
   * back stays taken while the flagged booking fills it.
   */
  private async holdSeats(event: EventDoc, input: BookInput, many: BookMany): Promise<Held> {
    const { id, eventId, ticketTypeId, quantity } = input.booking;
    let current = event;
    for (let attempt = 0; ; attempt++) {
      const used = scopesOf(current, ticketTypeId);
      const outcome = await this.seats.hold(eventId, id, quantity, used, many.slots);
      let over = outcome.kind === 'over';
      if (outcome.kind === 'held') {
        const fresh = await this.events.liveDoc(eventId);
        const problem = fresh ? this.bookableError(fresh, input) : storeErrors.eventNotFound();
        if (!fresh || problem) {
          await this.seats.release(outcome.seatIds);
          throw problem;
        }
        if (await this.seats.stillWithin(eventId, used, scopesOf(fresh, ticketTypeId), outcome.counted)) {
          return { seatIds: outcome.seatIds, overCapacity: false };
        }
        await this.seats.release(outcome.seatIds);
        current = fresh;
        over = true;
      }
      if (over && attempt + 1 < OVER_LIMIT_RETRIES) {
        // Racing holders may all have counted each other and given back: try again shortly.
        await sleep(5 + Math.random() * 25);
        continue;
      }
      if (input.limits === 'flag') {
        const seatIds = await this.seats.holdOverLimits(current, { bookingId: id, ticketTypeId, quantity }, (peaks) =>
          this.events.raisePeaks(eventId, peaks),
        );
        return { seatIds, overCapacity: true };
      }
      if (many.soldOut === 'unexplained') throw storeErrors.soldOut(0);
      throw await this.soldOut(eventId, ticketTypeId);
    }
  }

  private bookableError(event: EventDoc, input: BookInput): Error | null {
    try {
      this.assertBookable(event, input);
      return null;
    } catch (error) {
      return error as Error;
    }
  }

  /** Why a hold failed, read after the fact: the event may have changed meanwhile. */
  private async soldOut(eventId: string, ticketTypeId: string): Promise<Error> {
    const now = await this.events.liveDoc(eventId);
    if (!now) return storeErrors.eventNotFound();
    const counts = await countSeats(this.bookings, eventId);
    return storeErrors.soldOut(seatsLeft({ ...now, bookedCount: counts.booked }, counts.byType, ticketTypeId));
  }

  /**
   * Inserts a booking whose seats are held. A duplicate `_id` means the same request won earlier
   * (a retried walk-in): its seats are given back and the first booking returned. A duplicate code
   * within the event draws the next code.
   */
  private async insertHolding(held: Held, input: BookInput, many: BookMany): Promise<BookOutcome> {
    const booking = input.booking;
    // Once the insert may have stored the booking, its seats are its own: a failure after that
    // leaves them held, and the stale-hold sweep confirms them if the booking stands (SeatLedger).
    let mayBeStored = false;
    try {
      await this.recounts.owe(booking.eventId);
      for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt++) {
        const code = input.codes(attempt);
        let stored: BookingDoc;
        try {
          mayBeStored = true;
          stored = await this.context.changeLog.insertAndLog(this.target, {
            _id: booking.id,
            eventId: booking.eventId,
            userId: booking.userId,
            ticketTypeId: booking.ticketTypeId,
            quantity: booking.quantity,
            attendee: booking.attendee,
            status: 'confirmed',
            source: booking.source,
            overCapacity: held.overCapacity,
            code,
            createdAt: booking.createdAt,
            cancelledAt: null,
            searchTerms: searchTermsOf(booking.attendee, code),
            ...(booking.externalId ? { externalId: booking.externalId } : {}),
            ...(booking.orderedAt ? { orderedAt: booking.orderedAt } : {}),
            mailPending: [...new Set(input.mail)],
            mailRev: 1,
            ...(input.mail.length > 0 ? { mailSince: new Date() } : {}),
          });
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          mayBeStored = false;
          const existing = await this.bookings.findOne({ _id: booking.id });
          if (!existing) continue;
          await this.seats.release(held.seatIds);
          return await this.replay(existing, input);
        }
        await this.seats.confirm(held.seatIds);
        if (many.recount !== 'by-caller') await this.recounts.schedule(booking.eventId);
        const row = toBookingRow(stored);
        if (row.overCapacity && input.overCapacityAlert) await this.alerts.raise(input.overCapacityAlert(row));
        return { row, replayed: false };
      }
      throw storeErrors.noFreeCode();
    } catch (error) {
      if (!mayBeStored) await this.seats.release(held.seatIds);
      throw error;
    }
  }

  /** A bulk import (booking-bulk.ts). */
  importMany(eventId: string, rows: Array<NewBooking & { code: string }>): Promise<number> {
    return new MongoBulkBookings(this.context, this, this.events, this.seats, this.recounts).run(eventId, rows);
  }

  /** Cancels a confirmed booking, giving its seats back (booking-cancel.ts). */
  cancel(
    id: string,
    at: string,
    mailFor: (row: BookingRow) => string[],
  ): Promise<{ row: BookingRow; changed: boolean } | null> {
    return new MongoBookingCancel(this.context, this, this.seats, this.recounts).run(id, at, mailFor);
  }

  async findByIds(ids: string[]): Promise<BookingRow[]> {
    const docs = await findByIds(this.bookings, ids, this.context.capabilities);
    return docs.map(toBookingRow);
  }

  async findById(id: string): Promise<BookingRow | null> {
    const doc = await this.bookings.findOne({ _id: id }, { projection: BOOKING_LIST_PROJECTION });
    return doc ? toBookingRow(doc) : null;
  }

  /** By the `{eventId, code}` unique index (FerretDB scans; the import's own lookups do the same). */
  async findByCode(eventId: string, code: string): Promise<BookingRow | null> {
    const doc = await this.bookings.findOne({ eventId, code }, { projection: BOOKING_LIST_PROJECTION });
    return doc ? toBookingRow(doc) : null;
  }

  /** By the `{eventId, externalId}` index, as the CSV import matches (booking-imports.ts). */
  async findByExternalId(eventId: string, externalId: string): Promise<BookingRow | null> {
    const doc = await this.bookings.findOne({ eventId, externalId }, { projection: BOOKING_LIST_PROJECTION });
    return doc ? toBookingRow(doc) : null;
  }

  async setPhoto(id: string, photoId: string | null): Promise<BookingRow | null> {
    const doc = await this.bookings.findOne({ _id: id }, { projection: BOOKING_LIST_PROJECTION });
    if (!doc) return null;
    if ((doc.photoId ?? null) === photoId) return toBookingRow(doc);
    const update: UpdateFilter<BookingDoc> = photoId ? { $set: { photoId } } : { $unset: { photoId: '' } };
    const updated = await this.context.changeLog.updateAndLog(this.target, id, update);
    return updated ? toBookingRow(updated) : null;
  }

  async listForEvent(
    eventId: string,
    filter: BookingListFilter,
    after: After<string> | undefined,
    limit: number,
  ): Promise<BookingRow[]> {
    const and: Filter<BookingDoc>[] = [{ eventId }];
    if (after) and.push(afterKey<BookingDoc>('createdAt', 1, after));
    if (filter.status) and.push({ status: filter.status });
    for (const word of filter.words ?? []) {
      if (word.length > 0) and.push({ searchTerms: { $regex: `^${escapeRegex(foldForSearch(word))}` } });
    }
    const docs = await this.bookings
      .find({ $and: and }, { projection: BOOKING_LIST_PROJECTION })
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit + 1)
      .toArray();
    return docs.map(toBookingRow);
  }

  async listForUser(userId: string, after: After<string> | undefined, limit: number): Promise<BookingRow[]> {
    const docs = await this.bookings
      .find(
        { $and: [{ userId, source: 'online' }, afterKey<BookingDoc>('createdAt', -1, after)] },
        { projection: BOOKING_LIST_PROJECTION },
      )
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit + 1)
      .toArray();
    return docs.map(toBookingRow);
  }

  /** Gives back seats a crash left held for a booking that never came to be or was cancelled. */
  async repairSeats(olderThanMs = SEAT_REPAIR_AGE_MS): Promise<number> {
    const events = await this.seats.repairUnconfirmed(async (bookingIds) => {
      const rows = await findByIds(this.bookings, bookingIds, this.context.capabilities);
      const states = new Map<string, SeatOwnerState>(bookingIds.map((id) => [id, 'missing']));
      for (const row of rows) states.set(row._id, row.status);
      return states;
    }, olderThanMs);
    await Promise.all(events.map((eventId) => this.recounts.schedule(eventId)));
    return events.length;
  }
}
