import type { StoreOp } from '../../store/port';
import type { MutationApplier } from './types';

/**
 * A refused scan, recorded for the organizer's audit of each door (pretix keeps its failed
 * check-ins for the same reason): by anyone who may check in at the event. A fact of the door, not
 * an admission: it changes no one's entry state and no figure.
 */
export const applyScanRefuse: MutationApplier<'scan.refuse'> = (args, { user, deviceId, hlc, access }) => {
  const refusal = (): StoreOp => ({
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
  });
  // Planned at once when the push was already granted check-in at the event.
  if (access.grantedCheckIn(args.eventId)) return refusal();
  return access.assertCanCheckIn(args.eventId).then(refusal);
};
