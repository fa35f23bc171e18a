import type { MutationApplier } from './types';

/**
 * Someone has seen to an alert. Who may: whoever sees the event's alerts at the door — its
 * organizer, its assigned staff and admins (the check-in permission, read as of now), since the
 * steward who meets the guest twice is usually the one who settles it. The alert must be of the
 * event named (ALERT_NOT_FOUND otherwise, so a steward of one event cannot touch another's alerts
 * by naming their own event). The person's name is the server's record of them at apply time. The
 * first acknowledgement by HLC stands (protocol acknowledgementWins); a later one is applied as a
 * no-op, so retries, double clicks and two stewards at once all end with one acknowledgement.
 */
export const applyAlertAcknowledge: MutationApplier<'alert.acknowledge'> = async (args, { user, hlc, access }) => {
  await access.assertCanCheckIn(args.eventId);
  return {
    kind: 'acknowledgeAlert',
    alertId: args.alertId,
    eventId: args.eventId,
    acknowledgement: {
      id: args.id,
      userId: user.id,
      userName: user.name,
      acknowledgedAt: args.acknowledgedAt,
      hlc,
      note: args.note ?? null,
    },
  };
};
