import type { EventStatus } from '../events';
import type { TicketVerification } from '../tickets';
import type { EntryRef, EntryState } from './entry';

export const SCAN_VERDICTS = ['admit', 'exit', 'duplicate', 'noReentry', 'cancelled', 'wrongEvent', 'invalid'] as const;
export type ScanVerdictKind = (typeof SCAN_VERDICTS)[number];
/** Why a ticket is not one this door can judge: its text, its signature, its time, or its booking. */
export type InvalidReason = 'format' | 'unknownKey' | 'signature' | 'notYetValid' | 'expired' | 'unknownBooking';

/** A verdict and what the steward needs to act on it; every refusal carries its reason. */
export type ScanVerdict =
  | {
      verdict: 'admit';
      bookingId: string;
      /**
       * False when the ticket was admitted on its signature alone: its booking has not reached this
       * device yet (a first download still running, a booking made minutes ago). The check-in syncs
       * like any other; the server raises the usual alerts if the booking turns out cancelled or used.
       */
      bookingOnDevice: boolean;
    }
  | { verdict: 'exit'; bookingId: string }
  | { verdict: 'duplicate'; bookingId: string; firstEntry: EntryRef }
  | { verdict: 'noReentry'; bookingId: string; lastExit: EntryRef }
  | { verdict: 'cancelled'; bookingId: string; of: 'booking' | 'event' }
  | { verdict: 'wrongEvent'; bookingId: string; ticketEventId: string }
  | { verdict: 'invalid'; reason: InvalidReason };

/** Grace either side of the event's dates, for venues whose doors open early or clocks drift. */
export const TICKET_WINDOW_GRACE_SECONDS = 6 * 3600;

/** What a verdict reads of the event, as synced: its current dates and status, and its door rule. */
export type EventAtDoor = {
  status: EventStatus;
  /** ISO instants (UTC offsets allowed); the event's current dates, after any reschedule. */
  startsAt: string;
  endsAt: string;
  /** Whether a ticket holder who left may enter again. */
  allowReentry: boolean;
};

export type ScanInput = {
  verification: TicketVerification;
  /** The event this door serves. */
  expectedEventId: string;
  /**
   * The event as this device holds it; undefined when it has never seen it, and only then is the
   * token's own window used (tickets carry the dates from when they were issued, which a
   * reschedule makes stale).
   */
  event: EventAtDoor | undefined;
  /** The booking as this device holds it; undefined when it has not reached the device. */
  booking: { status: 'confirmed' | 'cancelled' } | undefined;
  /** From the ticket's scans (entryStateOf). */
  entry: EntryState;
  direction: 'in' | 'out';
  /** Server-corrected device time, ms since the epoch (UTC). */
  nowMs: number;
};

function windowOf(input: ScanInput, claims: { validFrom: number; validUntil: number }) {
  if (!input.event) return { from: claims.validFrom, until: claims.validUntil };
  return {
    from: Math.floor(Date.parse(input.event.startsAt) / 1000),
    until: Math.ceil(Date.parse(input.event.endsAt) / 1000),
  };
}

/**
 * The door's check order, as one pure function device and server both use (docs/ARCHITECTURE.md
 * §5, Tickets; pretix's order of checks): format and signature, event, event cancelled, booking
 * cancelled, then for an exit nothing more (someone leaving is let out), for an entry the time
 * window (the event's current dates ± TICKET_WINDOW_GRACE_SECONDS), already inside, the re-entry
 * rule. A verified ticket whose booking is not on the device is admitted on its signature.
 */
export function decideScan(input: ScanInput): ScanVerdict {
  const { verification } = input;
  if (!verification.ok) {
    if (
      verification.reason === 'unknownKey' &&
      verification.claims &&
      verification.claims.eventId !== input.expectedEventId
    ) {
      return {
        verdict: 'wrongEvent',
        bookingId: verification.claims.bookingId,
        ticketEventId: verification.claims.eventId,
      };
    }
    return { verdict: 'invalid', reason: verification.reason };
  }
  const { claims } = verification;
  const bookingId = claims.bookingId;
  if (claims.eventId !== input.expectedEventId) {
    return { verdict: 'wrongEvent', bookingId, ticketEventId: claims.eventId };
  }
  if (input.event?.status === 'cancelled') return { verdict: 'cancelled', bookingId, of: 'event' };
  if (input.booking?.status === 'cancelled') return { verdict: 'cancelled', bookingId, of: 'booking' };
  if (input.direction === 'out') return { verdict: 'exit', bookingId };
  const nowSeconds = Math.floor(input.nowMs / 1000);
  const window = windowOf(input, claims);
  if (nowSeconds < window.from - TICKET_WINDOW_GRACE_SECONDS) return { verdict: 'invalid', reason: 'notYetValid' };
  if (nowSeconds > window.until + TICKET_WINDOW_GRACE_SECONDS) return { verdict: 'invalid', reason: 'expired' };
  const { entry } = input;
  if (entry.inside) return { verdict: 'duplicate', bookingId, firstEntry: entry.firstEntry };
  if (entry.lastExit && input.event && !input.event.allowReentry) {
    return { verdict: 'noReentry', bookingId, lastExit: entry.lastExit };
  }
  return { verdict: 'admit', bookingId, bookingOnDevice: input.booking !== undefined };
}

/** Whether a verdict lets the holder through (and so records a scan that counts). */
export function passes(verdict: ScanVerdict): verdict is Extract<ScanVerdict, { verdict: 'admit' | 'exit' }> {
  return verdict.verdict === 'admit' || verdict.verdict === 'exit';
}
