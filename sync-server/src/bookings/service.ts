import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GatehouseError,
  bookingCodeFor,
  bookingCodeFromBytes,
  type Attendee,
  type BookRequest,
  type Booking,
  type BookingListQuery,
  type Page,
  type TicketResponse,
  type WalkInRequest,
} from '@gatehouse/protocol';
import type { Collection, Db, Filter, UpdateFilter } from 'mongodb';
import { escapeRegex, isDuplicateKeyError } from '../db/mongo';
import { countSeats } from '../events/counts';
import type { EventRow } from '../events/rows';
import type { EventService } from '../events/service';
import { afterCursorFilter, toPage } from '../http/pagination';
import type { ChangeLog } from '../sync/changelog';
import type { TicketService } from '../tickets/service';
import type { UserDoc } from '../users/store';
import { IdempotencyKeys } from './idempotency';
import { SeatLedger, type SeatOwnerState } from './seats';
import { bookingChange, searchTermsOf, searchWordsOf, toBooking, type BookingRow } from './rows';

const MAX_CODE_ATTEMPTS = 5;
/** Far above any request's duration: a booking still being written never loses its seats. */
export const SEAT_REPAIR_AGE_MS = 2 * 60_000;

export type BookingAccess = 'owner' | 'manage' | 'checkIn';
export type BookOutcome = { booking: Booking; replayed: boolean };

function assertTicketType(event: EventRow, ticketTypeId: string): void {
  if (!event.ticketTypes.some((type) => type.id === ticketTypeId)) {
    throw new GatehouseError('UNPROCESSABLE', 'This event has no such ticket type', [
      { path: 'ticketTypeId', message: `unknown ticket type ${ticketTypeId}` },
    ]);
  }
}

export class BookingService {
  readonly bookings: Collection<BookingRow>;
  readonly idempotency: IdempotencyKeys;
  readonly seats: SeatLedger;

  constructor(
    private readonly db: Db,
    private readonly changeLog: ChangeLog,
    private readonly events: EventService,
    private readonly tickets: TicketService,
  ) {
    this.bookings = db.collection<BookingRow>('bookings');
    this.idempotency = new IdempotencyKeys(db);
    this.seats = new SeatLedger(db);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.bookings.createIndex({ eventId: 1, createdAt: 1, _id: 1 }),
      this.bookings.createIndex({ eventId: 1, code: 1 }, { unique: true }),
      this.bookings.createIndex({ eventId: 1, searchTerms: 1 }),
      this.bookings.createIndex({ userId: 1, createdAt: -1, _id: -1 }),
      this.bookings.createIndex({ mailPending: 1 }),
      this.idempotency.ensureIndexes(),
      this.seats.ensureIndexes(),
    ]);
  }

  repairPending(): Promise<number> {
    return this.changeLog.repairPending(this.bookings, bookingChange);
  }

  /** Gives back seats a crash left held for a booking that never came to be or was cancelled. */
  async repairSeats(olderThanMs = SEAT_REPAIR_AGE_MS): Promise<number> {
    const events = await this.seats.repairUnconfirmed(async (bookingIds) => {
      const rows = await this.bookings.find({ _id: { $in: bookingIds } }, { projection: { status: 1 } }).toArray();
      const states = new Map<string, SeatOwnerState>(bookingIds.map((id) => [id, 'missing']));
      for (const row of rows) states.set(row._id, row.status);
      return states;
    }, olderThanMs);
    for (const eventId of events) this.events.scheduleRecount(eventId);
    return events.length;
  }

  findForEvent(eventId: string, bookingId: string): Promise<BookingRow | null> {
    return this.bookings.findOne({ _id: bookingId, eventId });
  }

  async book(actor: UserDoc, eventId: string, input: BookRequest, idempotencyKey?: string): Promise<Booking> {
    return (await this.bookWithOutcome(actor, eventId, input, idempotencyKey)).booking;
  }

  async bookWithOutcome(
    actor: UserDoc,
    eventId: string,
    input: BookRequest,
    idempotencyKey?: string,
  ): Promise<BookOutcome> {
    const event = await this.events.readableRow(actor, eventId);
    const attendee: Attendee = input.attendee ?? { name: actor.name, email: actor.email };
    let bookingId: string = randomUUID();
    if (idempotencyKey) {
      const requestHash = IdempotencyKeys.hashRequest([eventId, input.ticketTypeId, input.quantity, attendee]);
      const claim = await this.idempotency.claim(actor._id, idempotencyKey, requestHash, async (id) =>
        Boolean(await this.bookings.findOne({ _id: id, userId: actor._id }, { projection: { _id: 1 } })),
      );
      if (claim.kind === 'replay') {
        const existing = await this.bookings.findOne({ _id: claim.bookingId, userId: actor._id });
        return { booking: toBooking(existing!), replayed: true };
      }
      bookingId = claim.bookingId;
    }
    try {
      if (event.status !== 'published') {
        throw new GatehouseError('EVENT_NOT_BOOKABLE', `This event is ${event.status}, not open for booking`);
      }
      assertTicketType(event, input.ticketTypeId);
      const seatIds = await this.seats.hold(
        eventId,
        bookingId,
        input.quantity,
        this.seatScopes(event, input.ticketTypeId),
      );
      if (!seatIds) throw await this.soldOut(eventId, input.ticketTypeId);
      return await this.insertHoldingSeats(seatIds, {
        _id: bookingId,
        eventId,
        userId: actor._id,
        ticketTypeId: input.ticketTypeId,
        quantity: input.quantity,
        attendee,
        source: 'online',
        overCapacity: false,
      });
    } catch (error) {
      if (idempotencyKey) await this.idempotency.release(actor._id, idempotencyKey, bookingId);
      throw error;
    }
  }

  /** Type first: it is usually the scarcer, so a request that cannot get one holds nothing else. */
  private seatScopes(event: EventRow, ticketTypeId: string) {
    const type = event.ticketTypes.find((candidate) => candidate.id === ticketTypeId)!;
    return [
      { scope: { ticketTypeId }, limit: type.quota },
      { scope: 'all' as const, limit: event.capacity },
    ];
  }

  /** Why a hold failed, read after the fact: the event may have changed meanwhile. */
  private async soldOut(eventId: string, ticketTypeId: string): Promise<GatehouseError> {
    const now = await this.events.findRow(eventId);
    if (!now) return new GatehouseError('NOT_FOUND', 'Event not found');
    if (now.status !== 'published') {
      return new GatehouseError('EVENT_NOT_BOOKABLE', `This event is ${now.status}, not open for booking`);
    }
    const counts = (await countSeats(this.db, [eventId])).get(eventId)!;
    const type = now.ticketTypes.find((candidate) => candidate.id === ticketTypeId);
    const left = Math.max(
      0,
      Math.min(now.capacity - counts.booked, (type?.quota ?? 0) - (counts.byType[ticketTypeId] ?? 0)),
    );
    return new GatehouseError('SOLD_OUT', 'Not enough seats left for this request', [
      { path: 'quantity', message: `${left} left` },
    ]);
  }

  /**
   * Inserts a booking whose seats were already taken. A duplicate `_id` means the same request
   * won earlier (a retried walk-in): its seats are given back and the first booking returned.
   */
  private async insertHoldingSeats(
    seatIds: string[],
    input: Pick<
      BookingRow,
      '_id' | 'eventId' | 'userId' | 'ticketTypeId' | 'quantity' | 'attendee' | 'source' | 'overCapacity'
    >,
  ): Promise<BookOutcome> {
    try {
      await this.events.owesRecount(input.eventId);
      for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt++) {
        // The id's own code first: what a device that added this walk-in offline already showed.
        const code = (attempt === 0 && bookingCodeFor(input._id)) || bookingCodeFromBytes(randomBytes(5));
        try {
          const row = await this.changeLog.insertAndLog(
            this.bookings,
            {
              ...input,
              rev: 0,
              status: 'confirmed',
              code,
              createdAt: new Date().toISOString(),
              cancelledAt: null,
              searchTerms: searchTermsOf(input.attendee, code),
              mailPending: input.attendee.email ? ['bookingConfirmed'] : [],
            },
            bookingChange,
          );
          await this.seats.confirm(seatIds);
          this.events.scheduleRecount(input.eventId);
          return { booking: toBooking(row), replayed: false };
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          const existing = await this.bookings.findOne({ _id: input._id });
          if (existing) {
            await this.seats.release(seatIds);
            if (existing.eventId !== input.eventId) {
              throw new GatehouseError('CONFLICT', 'This booking id belongs to another event');
            }
            return { booking: toBooking(existing), replayed: true };
          }
          // Otherwise the short code collided within the event: draw another.
        }
      }
      throw new Error('could not find a free booking code');
    } catch (error) {
      await this.seats.release(seatIds);
      throw error;
    }
  }

  /**
   * A booking added at the door: idempotent on `bookingId` (the device's uuid), and accepted over
   * capacity or quota with `overCapacity: true`, because the person is already standing there.
   */
  async walkIn(
    actor: UserDoc,
    eventId: string,
    input: WalkInRequest,
    options: { bookingId?: string } = {},
  ): Promise<Booking> {
    return (await this.walkInWithOutcome(actor, eventId, input, options)).booking;
  }

  async walkInWithOutcome(
    actor: UserDoc,
    eventId: string,
    input: WalkInRequest,
    options: { bookingId?: string } = {},
  ): Promise<BookOutcome> {
    const event = await this.events.assertCanCheckIn(actor, eventId);
    const bookingId = options.bookingId ?? randomUUID();
    if (options.bookingId) {
      const existing = await this.bookings.findOne({ _id: bookingId });
      if (existing) {
        if (existing.eventId !== eventId)
          throw new GatehouseError('CONFLICT', 'This booking id belongs to another event');
        return { booking: toBooking(existing), replayed: true };
      }
    }
    if (event.status === 'cancelled') throw new GatehouseError('EVENT_NOT_BOOKABLE', 'This event is cancelled');
    assertTicketType(event, input.ticketTypeId);
    // Seats if there are any; otherwise the person is let in anyway and flagged.
    const seatIds = (await this.seats.hold(eventId, bookingId, 1, this.seatScopes(event, input.ticketTypeId))) ?? [];
    const overCapacity = seatIds.length === 0;
    return this.insertHoldingSeats(seatIds, {
      _id: bookingId,
      eventId,
      userId: actor._id,
      ticketTypeId: input.ticketTypeId,
      quantity: 1,
      attendee: input.attendee,
      source: 'walkIn',
      overCapacity,
    });
  }

  /** What `actor` may do with a booking; null means it is not theirs to see (answer NOT_FOUND). */
  async accessOf(actor: UserDoc, row: BookingRow): Promise<BookingAccess | null> {
    if (row.userId === actor._id && row.source === 'online') return 'owner';
    if (actor.role === 'attendee') return null;
    const event = await this.events.events.findOne(
      { _id: row.eventId },
      { projection: { organizerId: 1, staffIds: 1 } },
    );
    if (!event) return null;
    if (actor.role === 'admin' || (actor.role === 'organizer' && event.organizerId === actor._id)) return 'manage';
    if (event.staffIds.includes(actor._id)) return 'checkIn';
    return null;
  }

  private async readable(actor: UserDoc, bookingId: string): Promise<{ row: BookingRow; access: BookingAccess }> {
    const row = await this.bookings.findOne({ _id: bookingId });
    const access = row ? await this.accessOf(actor, row) : null;
    if (!row || !access) throw new GatehouseError('NOT_FOUND', 'Booking not found');
    return { row, access };
  }

  /** By the attendee (own online booking), the organizer or an admin. Repeating it is harmless. */
  async cancel(actor: UserDoc, bookingId: string): Promise<Booking> {
    const { row, access } = await this.readable(actor, bookingId);
    if (access === 'checkIn') throw new GatehouseError('FORBIDDEN', 'Check-in staff cannot cancel bookings');
    if (row.status === 'cancelled') return toBooking(row);
    const update = {
      $set: { status: 'cancelled' as const, cancelledAt: new Date().toISOString() },
      ...(row.attendee.email ? { $addToSet: { mailPending: 'bookingCancelled' } } : {}),
    };
    // Seats back in the repair's care first: a crash after the cancel but before the release
    // below then frees them (SeatLedger.repairUnconfirmed), and one before the cancel keeps them.
    await this.seats.unconfirmBooking(bookingId);
    await this.events.owesRecount(row.eventId);
    const cancelled = await this.changeLog.updateAndLog(
      this.bookings,
      { _id: bookingId, status: 'confirmed' },
      update,
      bookingChange,
    );
    // Lost a race with another cancel: that one released the seats.
    if (!cancelled) return toBooking((await this.bookings.findOne({ _id: bookingId }))!);
    // Releasing is a delete by booking id: repeating it (a racing cancel) frees nothing twice.
    await this.seats.releaseBooking(bookingId);
    this.events.scheduleRecount(row.eventId);
    return toBooking(await this.confirmCancelled(cancelled, update));
  }

  /**
   * FerretDB rewrites whole documents without isolation, so a write to this booking from another
   * server process that read it before our cancel can put `confirmed` back (in this process the
   * row lock prevents it). Re-read and re-apply until the cancellation holds, and recount again
   * after a re-apply: the recount started above may have counted the booking while it was back.
   * On MongoDB the first read confirms it.
   */
  private async confirmCancelled(cancelled: BookingRow, update: UpdateFilter<BookingRow>): Promise<BookingRow> {
    let latest = cancelled;
    for (let attempt = 0; attempt < 5; attempt++) {
      await sleep(20 * (attempt + 1));
      const now = await this.bookings.findOne({ _id: cancelled._id });
      if (!now || now.status === 'cancelled') return now ?? latest;
      latest =
        (await this.changeLog.updateAndLog(this.bookings, { _id: cancelled._id }, update, bookingChange)) ?? latest;
      this.events.scheduleRecount(cancelled.eventId);
    }
    return latest;
  }

  async ticket(actor: UserDoc, bookingId: string): Promise<TicketResponse> {
    const { row } = await this.readable(actor, bookingId);
    const event = await this.events.events.findOne({ _id: row.eventId });
    if (!event) throw new GatehouseError('NOT_FOUND', 'Booking not found');
    const token = await this.tickets.tokenFor(toBooking(row), event);
    return { bookingId: row._id, token, revoked: row.status === 'cancelled', ...(await this.tickets.qrImages(token)) };
  }

  async listForEvent(actor: UserDoc, eventId: string, query: BookingListQuery): Promise<Page<Booking>> {
    await this.events.assertCanCheckIn(actor, eventId);
    const and: Filter<BookingRow>[] = [{ eventId }];
    if (query.cursor) and.push(afterCursorFilter<BookingRow>('createdAt', 1, query.cursor));
    if (query.status) and.push({ status: query.status });
    for (const word of query.q ? searchWordsOf(query.q) : []) {
      and.push({ searchTerms: { $regex: `^${escapeRegex(word)}` } });
    }
    const rows = await this.bookings
      .find({ $and: and })
      .sort({ createdAt: 1, _id: 1 })
      .limit(query.limit + 1)
      .toArray();
    return toPage(rows, query.limit, (row) => row.createdAt, toBooking);
  }

  async listMine(actor: UserDoc, query: { limit: number; cursor?: string | undefined }): Promise<Page<Booking>> {
    const filter: Filter<BookingRow> = {
      $and: [{ userId: actor._id, source: 'online' }, afterCursorFilter<BookingRow>('createdAt', -1, query.cursor)],
    };
    const rows = await this.bookings
      .find(filter)
      .sort({ createdAt: -1, _id: -1 })
      .limit(query.limit + 1)
      .toArray();
    return toPage(rows, query.limit, (row) => row.createdAt, toBooking);
  }
}
