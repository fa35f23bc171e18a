import type { MutationApplier } from './types';

/** Last writer wins per field by HLC (in the events domain), so an old offline edit loses to a newer web edit. */
export const applyEventUpdate: MutationApplier<'event.update'> = async (args, { ctx, user, hlc, access }) => {
  await access.assertCanManage(args.eventId);
  await ctx.events.update(user, args.eventId, args.patch, { hlc });
};
