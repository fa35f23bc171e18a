import type { Filter, UpdateFilter } from 'mongodb';
import { seatsLeft, storeErrors } from '../errors';
import { foldForSearch, GatehouseError, truncateText } from '@gatehouse/protocol';
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
import { MongoBookingImports } from './booking-imports';
import type { BookingRow } from '../rows';
import { searchTermsOf } from '../search-words';
import { changeOf } from '../wire';
import type { MongoAlerts } from './alerts';
import type { InsertBatch, LoggedCollection } from './changelog';
import { fieldsEqual } from './conditional';
import type { StoreContext } from './context';
import { BOOKING_LIST_PROJECTION, COLLECTIONS, toBookingRow, type BookingDoc, type EventDoc } from './documents';
import { MongoErasure } from './erasure';
import { isDuplicateKeyError } from './errors';
import type { MongoEvents } from './events';
import { afterKey, escapeRegex, findByIds, sleep } from './queries';
import { countSeats, type Recounts } from './recounts';
import { scopesOf, type SeatLedger, type SeatOwnerState } from './seats';

const MAX_CODE_ATTEMPTS = 5;
/** Holds given back because a lowered limit was exceeded by racing holders are retried this often. */
const OVER_LIMIT_RETRIES = 3;
/** Far above any request's duration: a booking still being written never loses its seats. */
export const SEAT_REPAIR_AGE_MS = 2 * 60_000;
/** Re-reads of a cancellation FerretDB may have undone (see confirmCancelled). */
const CANCEL_CHECKS = 5;

type Held = { seatIds: string[]; overCapacity: boolean };

/** An imported code that another booking of the event has (errors.ts has no entry for it; the SQLite adapter says the same). */
function codeTaken(code: string): GatehouseError {
  return new GatehouseError('CONFLICT', `Booking code ${truncateText(code, 64)} is already used in this event`);
}

/**
 * Bookings, with seats held in the seat ledger (seats.ts) before the booking is inserted and
 * confirmed after: no counter on the event document, whose updates FerretDB does not isolate. The
 * event's `bookedCount` / `typeSold` are a snapshot recounted after each booking change (recounts.ts).
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

  async book(input: BookInput): Promise<BookOutcome> {
    const booking = input.booking;
    // A booking with this id already: a retried walk-in or idempotent request, whatever the event's state now.
    const existing = await this.bookings.findOne({ _id: booking.id });
    if (existing) return this.replay(existing, input);
    const event = await this.events.liveDoc(booking.eventId);
    if (!event) throw storeErrors.eventNotFound();
    this.assertBookable(event, input);
    const held = await this.holdSeats(event, input);
    return this.insertHolding(held, input);
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
  private async holdSeats(event: EventDoc, input: BookInput): Promise<Held> {
    const { id, eventId, ticketTypeId, quantity } = input.booking;
    let current = event;
    for (let attempt = 0; ; attempt++) {
      const used = scopesOf(current, ticketTypeId);
      const outcome = await this.seats.hold(eventId, id, quantity, used);
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
  private async insertHolding(held: Held, input: BookInput): Promise<BookOutcome> {
    const booking = input.booking;
    try {
      await this.recounts.owe(booking.eventId);
      for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt++) {
        const code = input.codes(attempt);
        let stored: BookingDoc;
        try {
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
          const existing = await this.bookings.findOne({ _id: booking.id });
          if (!existing) continue;
          await this.seats.release(held.seatIds);
          return await this.replay(existing, input);
        }
        await this.seats.confirm(held.seatIds);
        await this.recounts.schedule(booking.eventId);
        const row = toBookingRow(stored);
        if (row.overCapacity && input.overCapacityAlert) await this.alerts.raise(input.overCapacityAlert(row));
        return { row, replayed: false };
      }
      throw storeErrors.noFreeCode();
    } catch (error) {
      await this.seats.release(held.seatIds);
      throw error;
    }
  }

  /**
   * A bulk import: limits are not enforced, ids that exist are skipped, and a code taken within the
   * event refuses the whole import. Seats are held first (above every slot in use, see
   * SeatLedger.importHolds), then the bookings go in as one unordered insert; only when no code
   * clashed are they logged — a clash deletes them again, before anyone was told of them. The
   * event's counts are recounted once at the end: one event version for the whole import.
   */
  async importMany(eventId: string, rows: Array<NewBooking & { code: string }>): Promise<number> {
    const event = await this.events.liveDoc(eventId);
    if (!event) throw storeErrors.eventNotFound();
    const types = new Set(event.ticketTypes.map((type) => type.id));
    const unique = new Map<string, NewBooking & { code: string }>();
    const codes = new Set<string>();
    for (const row of rows) {
      if (unique.has(row.id)) continue;
      if (!types.has(row.ticketTypeId)) throw storeErrors.unknownTicketType(row.ticketTypeId);
      if (codes.has(row.code)) throw codeTaken(row.code);
      codes.add(row.code);
      unique.set(row.id, row);
    }
    const candidates = [...unique.values()];
    if (candidates.length === 0) return 0;
    const seats = await this.seats.importHolds(
      event,
      candidates.map((row) => ({ bookingId: row.id, ticketTypeId: row.ticketTypeId, quantity: row.quantity })),
      (peaks) => this.events.raisePeaks(eventId, peaks),
    );
    const allSeats = [...seats.values()].flat();
    await this.recounts.owe(eventId);
    let added = 0;
    let batch: InsertBatch<BookingDoc> | null = null;
    try {
      batch = await this.context.changeLog.insertMany(
        this.target,
        candidates.map((row) => ({
          _id: row.id,
          eventId,
          userId: row.userId,
          ticketTypeId: row.ticketTypeId,
          quantity: row.quantity,
          attendee: row.attendee,
          status: 'confirmed' as const,
          source: row.source,
          overCapacity: false,
          code: row.code,
          createdAt: row.createdAt,
          cancelledAt: null,
          searchTerms: searchTermsOf(row.attendee, row.code),
          mailPending: [],
        })),
      );
      const refused = batch.duplicates.map((index) => candidates[index]!);
      const existing = new Set(
        (
          await findByIds(
            this.bookings,
            refused.map((row) => row.id),
            this.context.capabilities,
          )
        ).map((doc) => doc._id),
      );
      const clash = refused.find((row) => !existing.has(row.id));
      if (clash) {
        await batch.undo();
        throw codeTaken(clash.code);
      }
      await this.seats.release(refused.flatMap((row) => seats.get(row.id) ?? []));
      await batch.log();
      await this.seats.confirm(batch.inserted.flatMap((doc) => seats.get(doc._id) ?? []));
      added = batch.inserted.length;
    } catch (error) {
      await batch?.abandon();
      await this.seats.release(allSeats);
      void this.recounts.schedule(eventId);
      throw error;
    }
    await this.recounts.schedule(eventId);
    return added;
  }

  async cancel(
    id: string,
    at: string,
    mailFor: (row: BookingRow) => string[],
  ): Promise<{ row: BookingRow; changed: boolean } | null> {
    const doc = await this.bookings.findOne({ _id: id });
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
      this.target,
      id,
      update,
      fieldsEqual<BookingDoc>({ status: 'confirmed' }),
    );
    if (!cancelled) {
      // Lost a race with another cancel: that one releases the seats.
      const now = await this.bookings.findOne({ _id: id });
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
      const now = await this.bookings.findOne({ _id: cancelled._id });
      if (!now || now.status === 'cancelled') return now ?? latest;
      latest = (await this.context.changeLog.updateAndLog(this.target, cancelled._id, update)) ?? latest;
      await this.recounts.schedule(cancelled.eventId);
    }
    return latest;
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
