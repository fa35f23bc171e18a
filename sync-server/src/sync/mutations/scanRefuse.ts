import type { MutationApplier } from './types';

/**
 * A refused scan, recorded for the organizer's audit of each door (pretix keeps its failed
 * check-ins for the same reason): by anyone who may check in at the event. A fact of the door, not
 * an admission: it changes no one's entry state and no figure.
 */
export const applyScanRefuse: MutationApplier<'scan.refuse'> = async (args, { user, deviceId, hlc, access }) => {
  await access.assertCanCheckIn(args.eventId);
  return {
    kind: 'recordRefusal',
    row: {
      id: args.id,
      eventId: args.eventId,
      gate: args.gate,
      direction: args.direction,
      reason: args.reason,
      bookingId: args.bookingId,
      ticketEventId: args.ticketEventId,
      scannedAt: args.scannedAt,
      deviceId,
      staffId: user.id,
      hlc,
      receivedAt: new Date().toISOString(),
    },
  };
};
