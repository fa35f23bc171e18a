import { performance } from 'node:perf_hooks';
import {
  type Booking,
  decideScan,
  entryStateOf,
  type Event,
  type EntryRef,
  type EventAtDoor,
  type InvalidReason,
  MAX_HLC_LEAD_MS,
  parseHlc,
  passes,
  readBookingCode,
  type MutationArgs,
  type RefusalReason,
  type ScanResult,
  type ScanVerdict,
  type TicketPublicKey,
  type TicketVerification,
  TICKET_PREFIX,
} from '@gatehouse/protocol';
import { ticketTypeRequiresPhoto } from '../photos/rows';
import { newRowId } from '../sync/ids';
import type { AccountStore } from '../store';
import { TicketVerifier } from './verify';

const INVALID_TEXT: Record<InvalidReason, string> = {
  format: 'Not a Gatehouse ticket',
  unknownKey: 'Ticket not signed by a key of this event',
  signature: 'Forged or damaged ticket (signature does not match)',
  notYetValid: 'Ticket is not valid yet',
  expired: 'Ticket has expired',
  unknownBooking: 'No such booking on this device',
};

const FOREVER = { validFrom: -8.64e12, validUntil: 8.64e12 };

function timeOf(iso: string, timeZone: string | undefined): string {
  try {
    return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));
  } catch {
    return iso;
  }
}

/** What the door rules read of a synced event (protocol's EventAtDoor). */
function atDoor(event: Event | null): EventAtDoor | undefined {
  if (!event) return undefined;
  return {
    status: event.status,
    startsAt: event.startsAt,
    endsAt: event.endsAt,
    allowReentry: event.allowReentry !== false,
  };
}

export type ScanDeps = {
  /** Device time corrected by the skew measured against the server, so a wrong clock changes no verdict. */
  trustedNow: () => number;
  /** Records a scan that lets someone through (entry or exit) through the account's one write path (Account.mutate). */
  record: (args: MutationArgs<'checkin.record'>) => void;
  /** Records a refused scan for the door's audit, through the same path. */
  refuse: (args: MutationArgs<'scan.refuse'>) => void;
};

type ScanParams = { eventId: string; gate: string; direction?: 'in' | 'out' | undefined };

/**
 * The door on this device: reads what the rules need (the ticket's signature, the event as synced,
 * the booking if it is here, the ticket's scans) and asks protocol's `decideScan`, the same rules
 * the server holds. Entries and exits that pass are recorded (local row + outbox in one
 * transaction). Every lookup is a prepared statement on a primary key or index.
 */
export class Scanner {
  private readonly keyByKid;
  private readonly bookingById;
  private readonly bookingByCode;
  private readonly verifier = new TicketVerifier();

  constructor(
    private readonly store: AccountStore,
    private readonly deps: ScanDeps,
  ) {
    const db = store.db;
    this.keyByKid = db.prepare('SELECT doc FROM ticket_keys WHERE kid = ? AND doc IS NOT NULL');
    this.bookingById = db.prepare('SELECT doc FROM bookings WHERE id = ? AND doc IS NOT NULL');
    this.bookingByCode = db.prepare('SELECT doc FROM bookings WHERE event_id = ? AND code = ? AND doc IS NOT NULL');
  }

  private findKey = (kid: string): TicketPublicKey | undefined => {
    const rows = this.keyByKid.all(kid) as { doc: string }[];
    const first = rows[0];
    return first ? (JSON.parse(first.doc) as TicketPublicKey) : undefined;
  };

  private booking(id: string): Booking | undefined {
    const row = this.bookingById.get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Booking) : undefined;
  }

  /** A wedge or camera scan: a signed ticket token, or a booking code typed at the door. */
  scan(params: ScanParams & { scan: string }): ScanResult {
    const started = performance.now();
    const text = params.scan.trim();
    let verification: TicketVerification;
    // Anything that is neither a booking code nor a ticket is judged as a ticket: "Not a Gatehouse ticket".
    const code = text.startsWith(`${TICKET_PREFIX}.`) ? null : readBookingCode(text);
    if (code) {
      const row = this.bookingByCode.get(params.eventId, code.toLowerCase()) as { doc: string } | undefined;
      if (!row) return this.finish(started, params, null, { verdict: 'invalid', reason: 'unknownBooking' });
      const booking = JSON.parse(row.doc) as Booking;
      verification = { ok: true, claims: this.claimsOf(booking) };
    } else {
      verification = this.verifier.verify(text, this.findKey);
    }
    return this.decide(started, params, verification);
  }

  /** A booking chosen from the search list (no ticket in hand): only a booking on this device. */
  manual(params: ScanParams & { bookingId: string }): ScanResult {
    const started = performance.now();
    const booking = this.booking(params.bookingId);
    if (!booking) return this.finish(started, params, null, { verdict: 'invalid', reason: 'unknownBooking' });
    return this.decide(started, params, { ok: true, claims: this.claimsOf(booking) });
  }

  private claimsOf(booking: Booking) {
    return { kid: '', eventId: booking.eventId, bookingId: booking.id, ticketTypeId: booking.ticketTypeId, ...FOREVER };
  }

  private decide(started: number, params: ScanParams, verification: TicketVerification): ScanResult {
    const bookingId = verification.ok ? verification.claims.bookingId : null;
    const booking = bookingId ? this.booking(bookingId) : undefined;
    const event = this.store.rows.getDoc<Event>('events', params.eventId);
    const scans = bookingId ? this.store.scansOfBooking(bookingId) : [];
    const entry = entryStateOf(scans);
    const verdict = decideScan({
      verification,
      expectedEventId: params.eventId,
      event: atDoor(event),
      booking,
      entry,
      direction: params.direction ?? 'in',
      nowMs: this.deps.trustedNow(),
    });
    // A scan this verdict was based on (the exit it admits after) must order before the scan it
    // records, even when another device's clock ran ahead: the HLC merges them first.
    // One bound: an HLC further ahead than any server now stores (older rows, before the clamp)
    // would drag this clock, and every later scan, ahead with it.
    const bound = this.deps.trustedNow() + MAX_HLC_LEAD_MS;
    for (const seen of scans) if ((parseHlc(seen.hlc)?.wallMs ?? Infinity) <= bound) this.store.clock.receive(seen.hlc);
    const leftAt = !entry.inside && entry.lastExit ? entry.lastExit : undefined;
    return this.finish(started, params, event, verdict, booking, leftAt);
  }

  private finish(
    started: number,
    params: ScanParams,
    event: Event | null,
    verdict: ScanVerdict,
    booking?: Booking,
    /** The exit before this scan, when the holder was let in before and left: an admit is a re-entry. */
    leftAt?: EntryRef,
  ): ScanResult {
    const ticketTypeName = booking
      ? (event?.ticketTypes.find((type) => type.id === booking.ticketTypeId)?.name ?? null)
      : null;
    const name = booking?.attendee.name ?? 'guest';
    let checkinId: string | null = null;
    let message: string;
    let reason: string | null = null;
    let firstEntry: ScanResult['firstEntry'] = null;
    switch (verdict.verdict) {
      case 'admit':
      case 'exit': {
        checkinId = newRowId();
        this.deps.record({
          id: checkinId,
          eventId: params.eventId,
          bookingId: verdict.bookingId,
          gate: params.gate,
          direction: verdict.verdict === 'admit' ? 'in' : 'out',
          scannedAt: new Date(this.deps.trustedNow()).toISOString(),
        });
        if (verdict.verdict === 'exit') message = `Goodbye, ${name} — exit recorded`;
        else if (!verdict.bookingOnDevice) {
          message = 'Ticket verified by its signature — booking not yet on this device';
          reason = 'bookingNotOnDevice';
        } else if (leftAt) {
          // A steward must see that this is someone coming back, not a first entry on a shared ticket.
          message = `Welcome back, ${name} — re-entry (left ${timeOf(leftAt.scannedAt, event?.timezone)}, ${leftAt.gate})`;
          reason = 'reentry';
        } else message = `Welcome, ${name}${ticketTypeName ? ` — ${ticketTypeName}` : ''}`;
        break;
      }
      case 'duplicate':
        firstEntry = verdict.firstEntry;
        message = `Already inside since ${timeOf(verdict.firstEntry.scannedAt, event?.timezone)} (${verdict.firstEntry.gate})`;
        reason = 'alreadyInside';
        break;
      case 'noReentry':
        message = `Left at ${timeOf(verdict.lastExit.scannedAt, event?.timezone)} (${verdict.lastExit.gate}) — this event does not allow re-entry`;
        reason = 'reentryNotAllowed';
        break;
      case 'cancelled':
        message = verdict.of === 'event' ? 'Event cancelled — ticket void' : 'Booking cancelled — do not admit';
        reason = verdict.of === 'event' ? 'eventCancelled' : 'bookingCancelled';
        break;
      case 'wrongEvent': {
        const ticketEvent = this.store.rows.getDoc<Event>('events', verdict.ticketEventId);
        message = ticketEvent ? `Ticket is for another event: ${ticketEvent.title}` : 'Ticket is for a different event';
        reason = 'wrongEvent';
        break;
      }
      case 'invalid':
        message = INVALID_TEXT[verdict.reason];
        reason = verdict.reason;
        break;
    }
    if (!passes(verdict)) {
      // Every refusal is kept (pretix keeps its failed check-ins): which door, why, which ticket if any.
      this.deps.refuse({
        id: newRowId(),
        eventId: params.eventId,
        gate: params.gate,
        direction: params.direction ?? 'in',
        // Every refusal above set its code; the codes are protocol's REFUSAL_REASONS.
        reason: reason as RefusalReason,
        bookingId: 'bookingId' in verdict ? verdict.bookingId : null,
        ticketEventId: verdict.verdict === 'wrongEvent' ? verdict.ticketEventId : null,
        scannedAt: new Date(this.deps.trustedNow()).toISOString(),
      });
    }
    // One primary-key read of what is stored: the verdict never waits for a photo to download.
    const photo =
      booking && ticketTypeRequiresPhoto(event, booking.ticketTypeId) ? this.store.photos.stateFor(booking) : null;
    return {
      verdict: verdict.verdict,
      message,
      reason,
      booking: booking ?? null,
      ticketTypeName,
      firstEntry,
      checkinId,
      photo,
      micros: Math.round((performance.now() - started) * 1000),
    };
  }
}
