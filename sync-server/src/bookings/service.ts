import { randomBytes, randomUUID } from 'node:crypto';
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
import type { EventService } from '../events/service';
import { ListPages } from '../http/pagination';
import type { BookInput, Store } from '../store/port';
import type { BookingRow, UserRow } from '../store/rows';
import { searchWordsOf } from '../store/search-words';
import { toBooking } from '../store/wire';
import { erasureInput } from './erasure';
import type { TicketService } from '../tickets/service';

export type BookingAccess = 'owner' | 'manage' | 'checkIn';

/** An event's bookings by when they were made, oldest first; the search answers in the same order. */
const EVENT_BOOKING_PAGES = new ListPages('eventBookings', 'createdAt', 'string');
/** The caller's own bookings by when they were made, newest first. */
const MY_BOOKING_PAGES = new ListPages('myBookings', 'createdAt', 'string');

/** The booking's own code first (what a device that added a walk-in offline already showed), then fresh draws. */
function codesFor(bookingId: string): (attempt: number) => string {
  return (attempt) => (attempt === 0 && bookingCodeFor(bookingId)) || bookingCodeFromBytes(randomBytes(5));
}

/** A confirmed booking owes its confirmation (with the QR ticket) when there is an address to send it to. */
function confirmationMail(attendee: Attendee): string[] {
  return attendee.email ? ['bookingConfirmed'] : [];
}

function cancellationMail(row: BookingRow): string[] {
  return row.attendee.email ? ['bookingCancelled'] : [];
}

/**
 * Bookings: online (capacity and quota enforced by the store at the moment of writing), walk-ins at
 * the door (accepted over capacity and flagged), cancellations, tickets, lists.
 */
export class BookingService {
  constructor(
    private readonly store: Store,
    private readonly events: EventService,
    private readonly tickets: TicketService,
  ) {}

  /**
   * An attendee's booking of a published event, under `options.bookingId` when given (the
   * Idempotency-Key's id: a repeat of it answers the booking made under it). Errors: NOT_FOUND (not
   * visible), EVENT_NOT_BOOKABLE, UNPROCESSABLE (ticket type), SOLD_OUT (with how many are left),
   * CONFLICT (the id is another's booking).
   */
  async book(
    actor: UserRow,
    eventId: string,
    input: BookRequest,
    options: { bookingId?: string } = {},
  ): Promise<Booking> {
    await this.events.readableRow(actor, eventId);
    const attendee: Attendee = input.attendee ?? { name: actor.name, email: actor.email };
    const bookingId = options.bookingId ?? randomUUID();
    const outcome = await this.store.bookings.book({
      booking: {
        id: bookingId,
        eventId,
        userId: actor.id,
        ticketTypeId: input.ticketTypeId,
        quantity: input.quantity,
        attendee,
        source: 'online',
        createdAt: new Date().toISOString(),
      },
      limits: 'enforce',
      statuses: ['published'],
      codes: codesFor(bookingId),
      mail: confirmationMail(attendee),
    });
    if (outcome.replayed && (outcome.row.userId !== actor.id || outcome.row.source !== 'online')) {
      throw new GatehouseError('CONFLICT', 'This booking id is taken');
    }
    return toBooking(outcome.row);
  }

  /**
   * The store write of a walk-in: idempotent on `bookingId` (the device's uuid), and accepted over
   * capacity or quota with `overCapacity: true` and an alert, because the person is already there.
   */
  walkInInput(actor: UserRow, eventId: string, input: WalkInRequest, bookingId: string): BookInput {
    return {
      booking: {
        id: bookingId,
        eventId,
        userId: actor.id,
        ticketTypeId: input.ticketTypeId,
        quantity: 1,
        attendee: input.attendee,
        source: 'walkIn',
        createdAt: new Date().toISOString(),
      },
      limits: 'flag',
      statuses: ['draft', 'published'],
      codes: codesFor(bookingId),
      mail: confirmationMail(input.attendee),
      overCapacityAlert: (row) => ({
        id: `overcap-${row.id}`,
        eventId: row.eventId,
        kind: 'overCapacity',
        bookingId: row.id,
        checkinId: null,
        firstCheckinId: null,
        message: `Walk-in ${row.attendee.name} was admitted beyond capacity`,
        createdAt: new Date().toISOString(),
      }),
    };
  }

  /**
   * A walk-in added over REST by the organizer, an admin, or assigned staff when the event has
   * `staffWalkIns` (protocol's mayAddWalkIn). FORBIDDEN otherwise; NOT_FOUND if not visible.
   */
  async walkIn(
    actor: UserRow,
    eventId: string,
    input: WalkInRequest,
    options: { bookingId?: string } = {},
  ): Promise<Booking> {
    await this.events.assertCanAddWalkIn(actor, eventId);
    const outcome = await this.store.bookings.book(
      this.walkInInput(actor, eventId, input, options.bookingId ?? randomUUID()),
    );
    return toBooking(outcome.row);
  }

  /** What `actor` may do with a booking; null means it is not theirs to see (answer NOT_FOUND). */
  async accessOf(actor: UserRow, row: BookingRow): Promise<BookingAccess | null> {
    if (row.userId === actor.id && row.source === 'online') return 'owner';
    if (actor.role === 'attendee') return null;
    const event = await this.store.events.findById(row.eventId);
    if (!event) return null;
    if (actor.role === 'admin' || (actor.role === 'organizer' && event.organizerId === actor.id)) return 'manage';
    if (event.staffIds.includes(actor.id)) return 'checkIn';
    return null;
  }

  private async readable(actor: UserRow, bookingId: string): Promise<{ row: BookingRow; access: BookingAccess }> {
    const row = await this.store.bookings.findById(bookingId);
    const access = row ? await this.accessOf(actor, row) : null;
    if (!row || !access) throw new GatehouseError('NOT_FOUND', 'Booking not found');
    return { row, access };
  }

  /** The attendee (own online booking), the organizer or an admin; FORBIDDEN for staff, NOT_FOUND for others. */
  async assertCanCancel(actor: UserRow, bookingId: string): Promise<void> {
    const { access } = await this.readable(actor, bookingId);
    if (access === 'checkIn') throw new GatehouseError('FORBIDDEN', 'Check-in staff cannot cancel bookings');
  }

  /** By the attendee (own online booking), the organizer or an admin. Repeating it is harmless. */
  async cancel(actor: UserRow, bookingId: string): Promise<Booking> {
    await this.assertCanCancel(actor, bookingId);
    const outcome = await this.store.bookings.cancel(bookingId, new Date().toISOString(), cancellationMail);
    if (!outcome) throw new GatehouseError('NOT_FOUND', 'Booking not found');
    return toBooking(outcome.row);
  }

  /**
   * Erases the attendee's personal data (BookingRepository.erase), by the event's organizer or an
   * admin: FORBIDDEN for others who can see the event, NOT_FOUND for the rest (and for no such
   * booking). Erasing again answers the erased booking.
   */
  async erase(actor: UserRow, bookingId: string): Promise<Booking> {
    const row = await this.store.bookings.findById(bookingId);
    if (!row) throw new GatehouseError('NOT_FOUND', 'Booking not found');
    await this.events.assertCanManage(actor, row.eventId);
    const outcome = await this.store.bookings.erase(bookingId, erasureInput(new Date()));
    if (!outcome) throw new GatehouseError('NOT_FOUND', 'Booking not found');
    return toBooking(outcome.row);
  }

  /** The cancellation a device's `booking.cancel` makes (the caller has checked who may). */
  cancelOp(bookingId: string) {
    return { kind: 'cancelBooking' as const, bookingId, at: new Date().toISOString(), mailFor: cancellationMail };
  }

  async ticket(actor: UserRow, bookingId: string): Promise<TicketResponse> {
    const { row } = await this.readable(actor, bookingId);
    const event = await this.store.events.findById(row.eventId);
    if (!event) throw new GatehouseError('NOT_FOUND', 'Booking not found');
    const token = await this.tickets.tokenFor(toBooking(row), event);
    // A cancelled booking, or a cancelled event, voids the ticket: the door answers the same (decideScan).
    const revoked = row.status === 'cancelled' || event.status === 'cancelled';
    return { bookingId: row.id, token, revoked, ...(await this.tickets.qrImages(token)) };
  }

  async listForEvent(actor: UserRow, eventId: string, query: BookingListQuery): Promise<Page<Booking>> {
    await this.events.assertCanCheckIn(actor, eventId);
    const rows = await this.store.bookings.listForEvent(
      eventId,
      { ...(query.status ? { status: query.status } : {}), ...(query.q ? { words: searchWordsOf(query.q) } : {}) },
      EVENT_BOOKING_PAGES.after(query.cursor),
      query.limit,
    );
    return EVENT_BOOKING_PAGES.page(rows, query.limit, toBooking);
  }

  async listMine(actor: UserRow, query: { limit: number; cursor?: string | undefined }): Promise<Page<Booking>> {
    const rows = await this.store.bookings.listForUser(actor.id, MY_BOOKING_PAGES.after(query.cursor), query.limit);
    return MY_BOOKING_PAGES.page(rows, query.limit, toBooking);
  }
}
