import type { MutationApplier } from './types';

/** The booking's id is the device's `bookingId`, so a retried walk-in finds its booking instead of adding one. */
export const applyBookingWalkIn: MutationApplier<'booking.walkIn'> = async (args, { ctx, user, access }) => {
  await access.assertCanCheckIn(args.eventId);
  return {
    kind: 'book',
    input: ctx.bookings.walkInInput(
      user,
      args.eventId,
      { ticketTypeId: args.ticketTypeId, attendee: args.attendee },
      args.bookingId,
    ),
  };
};
