import type { EventStatus } from '@gatehouse/protocol';
import type { EventRow, EventSet, SeatCounts, TicketKeyRow } from '../rows';
import type { After, Viewer } from './shared';

/**
 * An event edit, computed from the event as it is now (and its seat counts). Null: nothing to
 * write. It may throw a GatehouseError (the edit is invalid against the current row).
 */
export type EventEdit = (current: EventRow, counts: SeatCounts) => { set: EventSet; mail: string[] } | null;

export type EventListFilter = {
  q?: string;
  status?: EventStatus;
  /** Events ending at or after (ms). */
  endsFromMs?: number;
  /** Events starting before (ms). */
  startsBeforeMs?: number;
};

/** What the organizer's stats are computed from (events/stats.ts). */
export type EventStatsFacts = {
  seats: Array<{ ticketTypeId: string; status: 'confirmed' | 'cancelled'; seats: number }>;
  /** Every scan of the event, with its booking's type and status (null when the booking is gone). */
  scans: Array<{
    id: string;
    hlc: string;
    bookingId: string;
    ticketTypeId: string | null;
    bookingStatus: 'confirmed' | 'cancelled' | null;
    gate: string;
    direction: 'in' | 'out' | 'void';
    voids?: string | undefined;
    scannedAt: string;
  }>;
};

export interface EventRepository {
  /** Inserts the event (rev 1) with its first ticket key, logging both to `event:<id>`. */
  insert(row: Omit<EventRow, 'rev'>, firstKey: Omit<TicketKeyRow, 'rev'>): Promise<EventRow>;
  /** A live (not deleted) event, with seat counts as of every booking write that has answered. */
  findById(id: string): Promise<EventRow | null>;
  /** The event if `viewer` may read it: admin; published; its organizer; its staff. */
  findVisible(id: string, viewer: Viewer): Promise<EventRow | null>;
  /** Visible events by (createdAt, id) ascending — never by start, which an edit moves. */
  list(viewer: Viewer, filter: EventListFilter, after: After<string> | undefined, limit: number): Promise<EventRow[]>;
  /** Events whose bucket `viewer`'s devices receive: admin all; organizer own or staffed; staff staffed. */
  accessibleIds(viewer: Viewer): Promise<string[]>;
  /** Applies `edit` to the current row atomically (retrying on MongoDB if the row moved); null when gone. */
  update(id: string, edit: EventEdit): Promise<EventRow | null>;
  setStaff(id: string, staffIds: string[], at: string): Promise<EventRow | null>;
  /** Soft delete: the bucket gets `doc: null`. False when already gone. */
  remove(id: string, at: string): Promise<boolean>;
  seatCounts(id: string): Promise<SeatCounts>;
  /**
   * Live events whose `eraseAttendeesAfterDays` has passed since they ended (endsAt + days ≤
   * `nowMs`), at most `limit`, by id: the retention sweeper erases their attendees. An event whose
   * attendees are all erased stays in this list (a booking added later is erased too); the sweeper
   * finds nothing to do for it.
   */
  dueForErasure(nowMs: number, limit: number): Promise<string[]>;
  statsFacts(id: string): Promise<EventStatsFacts>;
}
