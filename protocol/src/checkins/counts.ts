import { replayScans, type OrderedScan } from './entry';

/** What the counts read of a booking: cancelled ones are counted on their own line. */
export type CountedBooking = { status: 'confirmed' | 'cancelled'; ticketTypeId: string | null };

/**
 * The door's figures for one event:
 * - `checkedIn`: live bookings (not cancelled, or not known here yet) with at least one admission;
 * - `inside`: those of them inside now;
 * - `admittedThenCancelled`: bookings cancelled after someone was admitted on them, reported
 *   apart so "checked in" never exceeds what was booked;
 * - `checkedInByType`: `checkedIn` per ticket type (bookings whose type is known).
 */
export type AdmissionCounts = {
  checkedIn: number;
  inside: number;
  admittedThenCancelled: number;
  checkedInByType: Map<string, number>;
};

/**
 * Counts from every scan of an event, grouped by booking, with the entry state of each from
 * replayScans (HLC order). An admission is an entry.
 */
export function countAdmissions(
  scansByBooking: ReadonlyMap<string, readonly OrderedScan[]>,
  bookingOf: (bookingId: string) => CountedBooking | undefined,
): AdmissionCounts {
  const counts: AdmissionCounts = { checkedIn: 0, inside: 0, admittedThenCancelled: 0, checkedInByType: new Map() };
  for (const [bookingId, scans] of scansByBooking) {
    const { admittedBy, admitted } = replayScans(scans);
    if (!admitted) continue;
    const booking = bookingOf(bookingId);
    if (booking?.status === 'cancelled') {
      counts.admittedThenCancelled += 1;
      continue;
    }
    counts.checkedIn += 1;
    if (admittedBy) counts.inside += 1;
    const type = booking?.ticketTypeId;
    if (type) counts.checkedInByType.set(type, (counts.checkedInByType.get(type) ?? 0) + 1);
  }
  return counts;
}

/** Groups scans by their booking, for countAdmissions. */
export function scansByBooking<S extends OrderedScan & { bookingId: string }>(scans: readonly S[]): Map<string, S[]> {
  const grouped = new Map<string, S[]>();
  for (const scan of scans) {
    const list = grouped.get(scan.bookingId);
    if (list) list.push(scan);
    else grouped.set(scan.bookingId, [scan]);
  }
  return grouped;
}
