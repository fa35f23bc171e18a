import { type Booking, GatehouseError, mayAddWalkIn, routes, STAFF_WALK_INS_OFF_MESSAGE } from '@gatehouse/protocol';
import type { Account } from '../account';

/**
 * A walk-in at the door: a confirmed booking made offline, flagged over capacity when the event is
 * already full (the door lets them in; the organizer sees the flag). The event's organizer and
 * admins; its assigned staff when the event allows them (protocol's mayAddWalkIn, as the server
 * rules when the push arrives). NOT_FOUND for an event not on this device; FORBIDDEN when the rule
 * says no; VALIDATION_FAILED for a ticket type it does not have.
 */
export function walkIn(
  account: Account,
  params: { eventId: string; ticketTypeId: string; attendee: { name: string; email?: string | undefined } },
): Booking {
  account.withRole('staff');
  const event = account.events.get(params.eventId);
  if (!event) throw new GatehouseError('NOT_FOUND', 'No such event on this device');
  if (!mayAddWalkIn(account.user, event)) throw new GatehouseError('FORBIDDEN', STAFF_WALK_INS_OFF_MESSAGE);
  if (!event.ticketTypes.some((type) => type.id === params.ticketTypeId)) {
    throw new GatehouseError('VALIDATION_FAILED', 'No such ticket type for this event');
  }
  const expected = account.events.counters(params.eventId).expected;
  const { doc } = account.mutate(
    'booking.walkIn',
    // A random (v4) id, not a time-ordered one: the booking's door code is made from its first bytes
    // (protocol bookingCodeFor), which in a UUIDv7 are the clock — guessable, and shared by walk-ins
    // made in the same quarter second.
    {
      bookingId: crypto.randomUUID(),
      eventId: params.eventId,
      ticketTypeId: params.ticketTypeId,
      attendee: params.attendee,
    },
    { ...account.meta(), overCapacity: expected >= event.capacity },
  );
  return doc as Booking;
}

/**
 * Cancels a booking (organizer and above). NOT_FOUND for a booking not on this device;
 * BOOKING_NOT_CANCELLABLE when it is cancelled already.
 */
export function cancelBooking(account: Account, bookingId: string): Booking {
  account.withRole('organizer');
  const booking = account.store.rows.getDoc<Booking>('bookings', bookingId);
  if (!booking) throw new GatehouseError('NOT_FOUND', 'No such booking on this device');
  if (booking.status === 'cancelled') throw new GatehouseError('BOOKING_NOT_CANCELLABLE', 'Already cancelled');
  return account.mutate('booking.cancel', { bookingId }).doc as Booking;
}

/**
 * Erases the attendee's personal data on the server — online only (OFFLINE otherwise): an erasure
 * is the server's to make everywhere at once, never queued on one device. The organizer of the
 * event or an admin (the server judges: FORBIDDEN, NOT_FOUND). Then syncs, so this device replaces
 * its copy (name, email, search words) with the erased version before answering; a sync that fails
 * then is left to the next one.
 */
export async function eraseBooking(account: Account, bookingId: string): Promise<Booking> {
  account.withRole('organizer');
  const erased = await account.online().api.call(routes['bookings.erase'], { params: { id: bookingId } });
  await account.engine.syncNow().catch(() => undefined);
  return erased;
}
