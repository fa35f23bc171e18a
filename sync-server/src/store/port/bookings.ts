import type { EventStatus } from '@gatehouse/protocol';
import type { AlertRow, BookingRow, NewAlertRow } from '../rows';
import type { ImportChunk, ImportRowOutcome } from './booking-imports';
import type { After } from './shared';

export type NewBooking = Pick<
  BookingRow,
  | 'id'
  | 'eventId'
  | 'userId'
  | 'ticketTypeId'
  | 'quantity'
  | 'attendee'
  | 'source'
  | 'createdAt'
  | 'externalId'
  | 'orderedAt'
>;

export type BookInput = {
  booking: NewBooking;
  /** `enforce`: SOLD_OUT beyond capacity or quota (online). `flag`: accept and set overCapacity (walk-ins). */
  limits: 'enforce' | 'flag';
  /** Event statuses that accept this booking; otherwise EVENT_NOT_BOOKABLE. */
  statuses: EventStatus[];
  /** The booking code to try at attempt 0, 1, … (a collision within the event draws the next). */
  codes: (attempt: number) => string;
  /** Mail owed for the new booking (a hand-off). */
  mail: string[];
  /** An alert to raise with a booking accepted over capacity. */
  overCapacityAlert?: (row: BookingRow) => NewAlertRow;
};

/**
 * What an erasure writes (BookingRepository.erase). `alertText` gives an alert of the booking its
 * text without the attendee's name (pure; the alert texts are the checkins/bookings domains').
 */
export type ErasureInput = {
  at: string;
  alertText: (alert: AlertRow) => string;
};

/** `replayed`: a booking with this id existed already (a retried walk-in or idempotent request). */
export type BookOutcome = { row: BookingRow; replayed: boolean };

/** Booking list filter: `words` must each prefix-match a word of the attendee's name, email or the code. */
export type BookingListFilter = { status?: 'confirmed' | 'cancelled'; words?: string[] };

export interface BookingRepository {
  /**
   * Adds a booking and updates the event's seat counts, atomically, judging capacity and quota by
   * the event as it is at that moment (so a lowered capacity holds at once). Errors: NOT_FOUND (no
   * such event), EVENT_NOT_BOOKABLE, UNPROCESSABLE (unknown ticket type), SOLD_OUT (with `N left`),
   * CONFLICT (the id belongs to a booking of another event).
   */
  book(input: BookInput): Promise<BookOutcome>;
  /**
   * Cancels a confirmed booking, giving its seats back; `mailFor` names the mail owed. Repeating
   * it is harmless (`changed: false`). Null when there is no such booking.
   */
  cancel(
    id: string,
    at: string,
    mailFor: (row: BookingRow) => string[],
  ): Promise<{ row: BookingRow; changed: boolean } | null>;
  /**
   * Adds many confirmed bookings to one event in bulk (a guest-list import, demo data, the bench),
   * logging each and updating the event's seat counts once. Rows whose id exists are skipped;
   * capacity is not enforced (an import is the organizer's decision). Returns how many were added.
   * Codes must be unique within the event (CONFLICT otherwise, nothing added).
   */
  importMany(eventId: string, rows: Array<NewBooking & { code: string }>): Promise<number>;
  /**
   * One chunk of a CSV import (the issue's `importBookings`), atomic on SQLite, row by row on
   * MongoDB, each row's outcome returned in order. A row is matched to a booking of the event by
   * its external id, else — when it has an email — by email and folded name among bookings without
   * an external id (which then takes the row's). A match whose name, email or ticket type differs
   * is updated (rev bumped, change logged; a type change needs room in the new type's quota); a
   * match of a cancelled booking is refused IMPORT_BOOKING_CANCELLED. A row without a match
   * becomes a confirmed booking (`source: 'import'`) if capacity and its type's quota leave a seat
   * — judged as for online bookings — and is refused SOLD_OUT otherwise. Thrown for the whole
   * chunk: NOT_FOUND (no such event), EVENT_NOT_BOOKABLE (not draft or published), UNPROCESSABLE
   * (a ticket type the event lacks). No mail is owed.
   */
  importRows(chunk: ImportChunk): Promise<ImportRowOutcome[]>;
  /**
   * Erases the attendee's personal data (name → ERASED_ATTENDEE_NAME, no email, `erasedAt` = `at`):
   * the booking keeps id, code, ticket type, status and check-ins, and its new version is logged
   * (rev + 1) so every device replaces what it holds. In the same operation the data is scrubbed
   * from where else the store keeps it: every earlier change-log entry of the booking (so an
   * initial sync, or the log on disk, never carries it), the booking's search words, its alerts
   * (text by `alertText`, logged again) and their earlier entries, its mail (address, name, bodies,
   * attachments; unsent messages are discarded, hand-offs dropped) and the answers kept for its
   * Idempotency-Keys, and its photo (blob `booking:<id>`, `photoId` cleared) — this method is the
   * one place an erasure happens. Repeating it answers `changed: false` (on MongoDB, which has no
   * transactions, it also finishes the scrubbing of an erasure cut off half-way). Null when there
   * is no such booking.
   */
  erase(id: string, input: ErasureInput): Promise<{ row: BookingRow; changed: boolean } | null>;
  /** Ids of up to `limit` of the event's bookings not erased yet, oldest first (the retention sweeper's batches). */
  listNotErased(eventId: string, limit: number): Promise<string[]>;
  findById(id: string): Promise<BookingRow | null>;
  /**
   * The event's booking with this door code (exact: codes are stored upper case, so a caller folds
   * what a person typed first), or null. One lookup by the `(event, code)` unique index.
   */
  findByCode(eventId: string, code: string): Promise<BookingRow | null>;
  /**
   * The event's booking with this external id (the ticket shop's id a CSV import kept, exact), or
   * null. One lookup by the `(event, externalId)` index the import matches with.
   */
  findByExternalId(eventId: string, externalId: string): Promise<BookingRow | null>;
  /** The bookings of these ids that exist, in no particular order (an export's page of scans names them). */
  findByIds(ids: string[]): Promise<BookingRow[]>;
  /** By (createdAt, id) ascending. */
  listForEvent(
    eventId: string,
    filter: BookingListFilter,
    after: After<string> | undefined,
    limit: number,
  ): Promise<BookingRow[]>;
  /** A user's own online bookings, by (createdAt, id) descending. */
  listForUser(userId: string, after: After<string> | undefined, limit: number): Promise<BookingRow[]>;
  /**
   * Sets (or, with null, removes) the booking's photo id, bumping its rev and logging it to the
   * event's bucket so devices learn of it; unchanged when it already has that id. Null when there is
   * no such booking.
   */
  setPhoto(id: string, photoId: string | null): Promise<BookingRow | null>;
}
