import type { BookingRow, NewAlertRow, CheckinRow } from '../rows';
import type { After } from './shared';

/** What duplicate-entry detection needs to know of one scan. */
export type ScanFact = {
  checkinId: string;
  direction: 'in' | 'out' | 'void';
  hlc: string;
  gate: string;
  /** On a void: the admission it undoes. */
  voids?: string | undefined;
};

/**
 * What the alerts of a scan read of its booking: an adapter may read just these (a push's check-ins
 * look up thousands of bookings) or pass the whole row.
 */
export type BookingForAlerts = Pick<BookingRow, 'id' | 'eventId' | 'status'> & {
  attendee: Pick<BookingRow['attendee'], 'name'>;
};

/**
 * The alerts a scan makes, from its booking and every scan of that booking the store holds (this
 * one included). Pure; the store raises those that do not exist yet, in the same operation.
 */
export type DeriveAlerts = (booking: BookingForAlerts, scan: CheckinRow, history: ScanFact[]) => Array<NewAlertRow>;

export interface CheckinRepository {
  /**
   * Records one scan (an append-only fact) and the alerts it makes. Idempotent on the check-in id:
   * the same scan again is `repeated` (alerts re-derived); another scan under that id is CONFLICT;
   * a booking that is not in the scan's event is NOT_FOUND.
   */
  record(row: Omit<CheckinRow, 'rev'>, deriveAlerts: DeriveAlerts): Promise<{ row: CheckinRow; repeated: boolean }>;
  findById(id: string): Promise<CheckinRow | null>;
  listForBooking(bookingId: string): Promise<CheckinRow[]>;
  /** Every scan of the event, by id (tests, audits; an event has at most a few scans per ticket). */
  listForEvent(eventId: string): Promise<CheckinRow[]>;
  /**
   * Every scan of these bookings (at most a few per ticket), in no particular order: the door state
   * of one page of an export's bookings, read in one query.
   */
  listForBookings(bookingIds: string[]): Promise<CheckinRow[]>;
  /**
   * The event's scans in door order — (hlc, id) ascending, keys a scan never changes — after
   * `after` (the last row's hlc and id), up to `limit + 1` rows: the check-in log export's pages.
   */
  pageForEvent(eventId: string, after: After<string> | undefined, limit: number): Promise<CheckinRow[]>;
  countForEvent(eventId: string): Promise<number>;
}
