import type { RefusalReason } from '@gatehouse/protocol';

/** What a refusal means, in a steward's words: one table in protocol, which the exports print too. */
export { REFUSAL_WORDS } from '@gatehouse/protocol';

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
