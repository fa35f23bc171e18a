import type { MutationApplier } from './types';

/** Organizer, assigned staff or admin of the scan's event; the store checks the booking is that event's. */
export const applyCheckinRecord: MutationApplier<'checkin.record'> = async (
  args,
  { ctx, user, deviceId, hlc, access },
) => {
  const event = await access.assertCanCheckIn(args.eventId);
  return ctx.checkins.recordOp(args, { staffId: user.id, deviceId, hlc }, event);
};
