import type { MutationApplier } from './types';

/** Who may cancel is the bookings domain's rule (the attendee's own, organizer or admin); repeating it is harmless. */
export const applyBookingCancel: MutationApplier<'booking.cancel'> = async (args, { ctx, user }) => {
  await ctx.bookings.assertCanCancel(user, args.bookingId);
  return ctx.bookings.cancelOp(args.bookingId);
};
