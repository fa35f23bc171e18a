import type { MutationApplier } from './types';

/** Last writer wins per field by HLC (in the events domain), so an old offline edit loses to a newer web edit. */
export const applyEventUpdate: MutationApplier<'event.update'> = async (args, { ctx, hlc, access }) => {
  await access.assertCanManage(args.eventId);
  return { kind: 'updateEvent', eventId: args.eventId, edit: ctx.events.editFor(args.patch, hlc), hlc };
};
