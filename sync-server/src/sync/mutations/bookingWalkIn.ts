import type { MutationApplier } from './types';

/**
 * The booking's id is the device's `bookingId`, so a retried walk-in finds its booking instead of
 * adding one. Rejected FORBIDDEN for assigned staff when the event, as it is now, does not allow
 * them walk-ins (protocol's mayAddWalkIn), even if it did when the device queued it offline.
 */
export const applyBookingWalkIn: MutationApplier<'booking.walkIn'> = async (args, { ctx, user, access }) => {
  await access.assertCanAddWalkIn(args.eventId);
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
