import type { RefusalReason } from '@gatehouse/protocol';

/** What a refusal means, in a steward's words (protocol's REFUSAL_REASONS). */
export const REFUSAL_WORDS: Record<RefusalReason, string> = {
  alreadyInside: 'Already inside',
  reentryNotAllowed: 'No re-entry',
  bookingCancelled: 'Booking cancelled',
  eventCancelled: 'Event cancelled',
  wrongEvent: 'Ticket for another event',
  format: 'Not a Gatehouse ticket',
  unknownKey: 'Unknown signing key',
  signature: 'Forged or damaged ticket',
  notYetValid: 'Too early',
  expired: 'Event over',
  unknownBooking: 'Unknown booking',
};

/** The verdict a refusal was given, so Last scans colours it as the verdict panel did. */
export function verdictOfRefusal(
  reason: RefusalReason,
): 'duplicate' | 'noReentry' | 'cancelled' | 'wrongEvent' | 'invalid' {
  switch (reason) {
    case 'alreadyInside':
      return 'duplicate';
    case 'reentryNotAllowed':
      return 'noReentry';
    case 'bookingCancelled':
    case 'eventCancelled':
      return 'cancelled';
    case 'wrongEvent':
      return 'wrongEvent';
    default:
      return 'invalid';
  }
}
