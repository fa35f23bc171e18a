import type { EventStats } from '@gatehouse/protocol';
import type { Db } from 'mongodb';
import type { EventRow } from './rows';

/** The fields of a check-in row that stats read; the check-in domain owns the collection. */
type CheckinFacts = { _id: string; bookingId: string; gate: string; direction: 'in' | 'out'; scannedAt: string };
type BookingFacts = { _id: string; ticketTypeId: string };
type SeatGroup = { _id: { ticketTypeId: string; status: string }; seats: number };

const ID_CHUNK = 1000;

/**
 * Counts for the organizer's dashboard. Seat totals come from one $group over bookings; check-ins
 * are read in one streamed pass (projection only), which yields per gate, per hour and who is
 * inside without $facet or date operators that FerretDB lacks.
 */
export async function computeEventStats(db: Db, event: EventRow): Promise<EventStats> {
  const seatGroups = await db
    .collection('bookings')
    .aggregate<SeatGroup>([
      { $match: { eventId: event._id } },
      { $group: { _id: { ticketTypeId: '$ticketTypeId', status: '$status' }, seats: { $sum: '$quantity' } } },
    ])
    .toArray();

  const gates = new Map<string, { entries: number; exits: number }>();
  const hours = new Map<string, number>();
  /** Per booking: entries minus exits, to tell who is inside now. */
  const balance = new Map<string, number>();
  const entered = new Set<string>();
  const cursor = db
    .collection<CheckinFacts>('checkins')
    .find({ eventId: event._id }, { projection: { bookingId: 1, gate: 1, direction: 1, scannedAt: 1 } });
  for await (const checkin of cursor) {
    const gate = gates.get(checkin.gate) ?? { entries: 0, exits: 0 };
    if (checkin.direction === 'in') {
      gate.entries += 1;
      const at = Date.parse(checkin.scannedAt);
      if (Number.isFinite(at)) {
        const hour = new Date(at - (at % 3_600_000)).toISOString();
        hours.set(hour, (hours.get(hour) ?? 0) + 1);
      }
      balance.set(checkin.bookingId, (balance.get(checkin.bookingId) ?? 0) + 1);
      entered.add(checkin.bookingId);
    } else {
      gate.exits += 1;
      balance.set(checkin.bookingId, (balance.get(checkin.bookingId) ?? 0) - 1);
    }
    gates.set(checkin.gate, gate);
  }

  // "Checked in" = distinct bookings with at least one entry.
  const checkedInIds = [...entered];
  const checkedInByType = new Map<string, number>();
  for (let start = 0; start < checkedInIds.length; start += ID_CHUNK) {
    const rows = await db
      .collection<BookingFacts>('bookings')
      .find(
        { eventId: event._id, _id: { $in: checkedInIds.slice(start, start + ID_CHUNK) } },
        { projection: { ticketTypeId: 1 } },
      )
      .toArray();
    for (const row of rows) checkedInByType.set(row.ticketTypeId, (checkedInByType.get(row.ticketTypeId) ?? 0) + 1);
  }

  const seats = (ticketTypeId: string | null, status: string) =>
    seatGroups
      .filter(
        (group) => group._id.status === status && (ticketTypeId === null || group._id.ticketTypeId === ticketTypeId),
      )
      .reduce((sum, group) => sum + group.seats, 0);

  return {
    eventId: event._id,
    capacity: event.capacity,
    booked: seats(null, 'confirmed'),
    cancelled: seats(null, 'cancelled'),
    checkedIn: checkedInIds.length,
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
