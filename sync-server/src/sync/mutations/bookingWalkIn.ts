import type { MutationApplier } from './types';

/** The booking's id is the device's `bookingId`, so a retried walk-in finds its booking instead of adding one. */
export const applyBookingWalkIn: MutationApplier<'booking.walkIn'> = async (args, { ctx, user, access }) => {
  await access.assertCanCheckIn(args.eventId);
  const booking = await ctx.bookings.walkIn(
    user,
    args.eventId,
    { ticketTypeId: args.ticketTypeId, attendee: args.attendee },
    { bookingId: args.bookingId },
  );
  if (booking.overCapacity) {
    await ctx.alerts.raise({
      id: `overcap-${booking.id}`,
      eventId: booking.eventId,
      kind: 'overCapacity',
      bookingId: booking.id,
      checkinId: null,
      firstCheckinId: null,
      message: `Walk-in ${booking.attendee.name} was admitted beyond capacity`,
      createdAt: new Date().toISOString(),
    });
  }
};
