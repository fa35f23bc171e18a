import type { MutationApplier } from './types';

/** Who may cancel is the bookings domain's rule (organizer or admin); repeating a cancel is harmless. */
export const applyBookingCancel: MutationApplier<'booking.cancel'> = async (args, { ctx, user }) => {
  await ctx.bookings.cancel(user, args.bookingId);
};
