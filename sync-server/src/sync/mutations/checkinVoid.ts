import { GatehouseError, VOID_REFUSAL_TEXT, voidRefusal } from '@gatehouse/protocol';
import { canManageRow } from '../../events/service';
import type { MutationApplier } from './types';

/**
 * Undoes an admission by appending a void row (protocol/src/checkins voidRefusal: the admitting
 * device within minutes, or the event's organizer or an admin at any time). Nothing is deleted:
 * the admission and its void both stay, and the door rules leave the admission out. The check-in
 * undone must be this event's (NOT_FOUND otherwise, as for any id of another event).
 */
export const applyCheckinVoid: MutationApplier<'checkin.void'> = async (args, { ctx, user, deviceId, hlc, access }) => {
  const event = await access.assertCanCheckIn(args.eventId);
  const admission = await ctx.store.checkins.findById(args.checkinId);
  if (!admission || admission.eventId !== args.eventId || admission.bookingId !== args.bookingId) {
    throw new GatehouseError('NOT_FOUND', 'Check-in not found');
  }
  const scans = await ctx.store.checkins.listForBooking(admission.bookingId);
  const alreadyVoided = scans.some(
    (scan) => scan.direction === 'void' && scan.voids === admission.id && scan.id !== args.id,
  );
  const refusal = voidRefusal(admission, { manager: canManageRow(user, event), deviceId, hlc }, alreadyVoided);
  if (refusal) {
    const code = refusal === 'notYours' || refusal === 'tooLate' ? 'FORBIDDEN' : 'CONFLICT';
    throw new GatehouseError(code, VOID_REFUSAL_TEXT[refusal]);
  }
  return ctx.checkins.voidOp(args, admission, { staffId: user.id, deviceId, hlc }, event);
};
