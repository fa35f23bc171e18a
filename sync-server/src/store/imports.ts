import { type EventStatus, foldForSearch, truncateText } from '@gatehouse/protocol';
import { seatsLeft } from './errors';
import type { ImportRowInput, ImportRowOutcome } from './port';
import type { BookingRow, EventRow } from './rows';

/**
 * The rules of an import row both adapters apply (port.ts `importRows`), pure, so the two say the
 * same thing with the same code.
 */

/** Events an import may add to: those that take walk-ins (not cancelled, not ended, not deleted). */
export const IMPORT_STATUSES: readonly EventStatus[] = ['draft', 'published'];

/**
 * Of an event's bookings with the row's email (and no external id), the one whose folded name is
 * `foldedName`: a confirmed one first, so a cancelled namesake does not hide a live booking.
 */
export function importMatch(candidates: BookingRow[], foldedName: string): BookingRow | null {
  const named = candidates.filter((row) => foldForSearch(row.attendee.name) === foldedName);
  return named.find((row) => row.status === 'confirmed') ?? named[0] ?? null;
}

export type ImportUpdate =
  { kind: 'write'; row: BookingRow } | { kind: 'done'; outcome: ImportRowOutcome & { kind: 'unchanged' | 'refused' } };

/**
 * What a row does to the booking it matched: nothing (`unchanged`), a refusal (a cancelled
 * booking), or the row to write — name, email and order date (each kept when the file has
 * none), ticket type and external id from the file, rev + 1.
 */
export function importUpdate(existing: BookingRow, input: ImportRowInput): ImportUpdate {
  if (existing.status !== 'confirmed') {
    return {
      kind: 'done',
      outcome: {
        line: input.line,
        kind: 'refused',
        code: 'IMPORT_BOOKING_CANCELLED',
        message: `This row matches booking ${existing.code}, which was cancelled; an import does not restore it`,
      },
    };
  }
  const email = input.attendee.email ?? existing.attendee.email;
  const externalId = input.externalId ?? existing.externalId ?? null;
  // A file without an order date keeps the one a booking has; a changed one replaces it.
  const orderedAt = input.orderedAt ?? existing.orderedAt ?? null;
  const same =
    existing.attendee.name === input.attendee.name &&
    existing.attendee.email === email &&
    existing.ticketTypeId === input.ticketTypeId &&
    (existing.externalId ?? null) === externalId &&
    (existing.orderedAt ?? null) === orderedAt;
  if (same) return { kind: 'done', outcome: { line: input.line, kind: 'unchanged', bookingId: existing.id } };
  const row: BookingRow = {
    ...existing,
    attendee: email === undefined ? { name: input.attendee.name } : { name: input.attendee.name, email },
    ticketTypeId: input.ticketTypeId,
    rev: existing.rev + 1,
  };
  if (externalId !== null) row.externalId = externalId;
  if (orderedAt !== null) row.orderedAt = orderedAt;
  return { kind: 'write', row };
}

/** Seats held in an event, as a chunk moves them. */
export type ImportCounts = { booked: number; byType: Record<string, number> };

/**
 * Capacity and quota, judged as for an online booking (`seatsLeft`): SOLD_OUT naming which limit
 * is reached. Null when there is room.
 */
export function importRefusals(event: Pick<EventRow, 'capacity' | 'ticketTypes'>) {
  const typeName = (id: string) => truncateText(event.ticketTypes.find((type) => type.id === id)?.name ?? id, 60);
  const soldOut = (line: number, message: string): ImportRowOutcome => ({
    line,
    kind: 'refused',
    code: 'SOLD_OUT',
    message,
  });
  return {
    newSeat(input: ImportRowInput, counts: ImportCounts): ImportRowOutcome | null {
      const left = seatsLeft({ ...event, bookedCount: counts.booked }, counts.byType, input.ticketTypeId);
      if (left >= 1) return null;
      return counts.booked >= event.capacity
        ? soldOut(input.line, `The event is full (capacity ${event.capacity})`)
        : soldOut(input.line, `No ${typeName(input.ticketTypeId)} tickets left (quota reached)`);
    },
    typeChange(input: ImportRowInput, counts: ImportCounts): ImportRowOutcome | null {
      const quota = event.ticketTypes.find((type) => type.id === input.ticketTypeId)?.quota ?? 0;
      if (quota - (counts.byType[input.ticketTypeId] ?? 0) >= 1) return null;
      return soldOut(input.line, `No ${typeName(input.ticketTypeId)} tickets left to change this booking to`);
    },
  };
}
