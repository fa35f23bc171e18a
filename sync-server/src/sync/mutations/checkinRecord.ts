import type { MutationApplier } from './types';

/**
 * Organizer, assigned staff or admin of the scan's event; the store checks the booking is that
 * event's. Planned at once when the push was already granted check-in at the event.
 */
export const applyCheckinRecord: MutationApplier<'checkin.record'> = (args, { ctx, user, deviceId, hlc, access }) => {
  const by = { staffId: user.id, deviceId, hlc };
  const granted = access.grantedCheckIn(args.eventId);
  if (granted) return ctx.checkins.recordOp(args, by, granted);
  return access.assertCanCheckIn(args.eventId).then((event) => ctx.checkins.recordOp(args, by, event));
};
