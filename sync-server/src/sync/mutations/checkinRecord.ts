import type { MutationApplier } from './types';

export const applyCheckinRecord: MutationApplier<'checkin.record'> = async (
  args,
  { ctx, user, deviceId, hlc, access },
) => {
  await access.assertCanCheckIn(args.eventId);
  await ctx.checkins.record(args, { staffId: user._id, deviceId, hlc });
};
