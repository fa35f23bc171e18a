import { countAdmissions, scansByBooking, type EventStats } from '@gatehouse/protocol';
import type { EventStatsFacts } from '../store/port';
import type { EventRow } from '../store/rows';

/**
 * Counts for the organizer's dashboard, from the seat totals per (ticket type, status) and one
 * pass over the event's scans: per gate, per UTC hour, and who was admitted and who is inside now
 * by protocol's door rules (`countAdmissions`: HLC order, live bookings; people admitted on
 * bookings cancelled since are counted on their own line), the same rules the devices apply.
 */
export function computeEventStats(event: EventRow, facts: EventStatsFacts): EventStats {
  const gates = new Map<string, { entries: number; exits: number }>();
  const hours = new Map<string, number>();
  const bookingOf = new Map<string, { status: 'confirmed' | 'cancelled'; ticketTypeId: string | null }>();
  for (const scan of facts.scans) {
    if (scan.bookingStatus)
      bookingOf.set(scan.bookingId, { status: scan.bookingStatus, ticketTypeId: scan.ticketTypeId });
    // An undo is no passage through a gate; countAdmissions leaves the admission it names out.
    if (scan.direction === 'void') continue;
    const gate = gates.get(scan.gate) ?? { entries: 0, exits: 0 };
    if (scan.direction === 'in') {
      gate.entries += 1;
      const at = Date.parse(scan.scannedAt);
      if (Number.isFinite(at)) {
        const hour = new Date(at - (at % 3_600_000)).toISOString();
        hours.set(hour, (hours.get(hour) ?? 0) + 1);
      }
    } else {
      gate.exits += 1;
    }
    gates.set(scan.gate, gate);
  }
  const counts = countAdmissions(scansByBooking(facts.scans), (id) => bookingOf.get(id));
  const seats = (ticketTypeId: string | null, status: 'confirmed' | 'cancelled') =>
    facts.seats
      .filter((group) => group.status === status && (ticketTypeId === null || group.ticketTypeId === ticketTypeId))
      .reduce((sum, group) => sum + group.seats, 0);

  return {
    eventId: event.id,
    capacity: event.capacity,
    booked: seats(null, 'confirmed'),
    cancelled: seats(null, 'cancelled'),
    checkedIn: counts.checkedIn,
    inside: counts.inside,
    admittedThenCancelled: counts.admittedThenCancelled,
    byTicketType: event.ticketTypes.map((type) => ({
      ticketTypeId: type.id,
      name: type.name,
      quota: type.quota,
      booked: seats(type.id, 'confirmed'),
      checkedIn: counts.checkedInByType.get(type.id) ?? 0,
    })),
    byGate: [...gates.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([gate, n]) => ({ gate, ...n })),
    byHour: [...hours.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([hour, entries]) => ({ hour, entries })),
  };
}
