import type { EventStats } from '@gatehouse/protocol';
import type { EventStatsFacts } from '../store/port';
import type { EventRow } from '../store/rows';

/**
 * Counts for the organizer's dashboard, from the seat totals per (ticket type, status) and one
 * pass over the event's scans: per gate, per UTC hour, who has entered and who is inside now.
 * "Checked in" is distinct bookings with at least one entry; "inside" those whose entries
 * outnumber their exits.
 */
export function computeEventStats(event: EventRow, facts: EventStatsFacts): EventStats {
  const gates = new Map<string, { entries: number; exits: number }>();
  const hours = new Map<string, number>();
  const balance = new Map<string, number>();
  const enteredType = new Map<string, string | null>();
  for (const scan of facts.scans) {
    const gate = gates.get(scan.gate) ?? { entries: 0, exits: 0 };
    if (scan.direction === 'in') {
      gate.entries += 1;
      const at = Date.parse(scan.scannedAt);
      if (Number.isFinite(at)) {
        const hour = new Date(at - (at % 3_600_000)).toISOString();
        hours.set(hour, (hours.get(hour) ?? 0) + 1);
      }
      balance.set(scan.bookingId, (balance.get(scan.bookingId) ?? 0) + 1);
      enteredType.set(scan.bookingId, scan.ticketTypeId);
    } else {
      gate.exits += 1;
      balance.set(scan.bookingId, (balance.get(scan.bookingId) ?? 0) - 1);
    }
    gates.set(scan.gate, gate);
  }
  const checkedInByType = new Map<string, number>();
  for (const type of enteredType.values()) {
    if (type !== null) checkedInByType.set(type, (checkedInByType.get(type) ?? 0) + 1);
  }
  const seats = (ticketTypeId: string | null, status: 'confirmed' | 'cancelled') =>
    facts.seats
      .filter((group) => group.status === status && (ticketTypeId === null || group.ticketTypeId === ticketTypeId))
      .reduce((sum, group) => sum + group.seats, 0);

  return {
    eventId: event.id,
    capacity: event.capacity,
    booked: seats(null, 'confirmed'),
    cancelled: seats(null, 'cancelled'),
    checkedIn: enteredType.size,
    inside: [...balance.values()].filter((value) => value > 0).length,
    byTicketType: event.ticketTypes.map((type) => ({
      ticketTypeId: type.id,
      name: type.name,
      quota: type.quota,
      booked: seats(type.id, 'confirmed'),
      checkedIn: checkedInByType.get(type.id) ?? 0,
    })),
    byGate: [...gates.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([gate, counts]) => ({ gate, ...counts })),
    byHour: [...hours.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([hour, entries]) => ({ hour, entries })),
  };
}
