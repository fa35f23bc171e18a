import { performance } from 'node:perf_hooks';
import {
  type Booking,
  type Checkin,
  decideScan,
  type EntryState,
  type Event,
  type InvalidReason,
  type MutationArgs,
  type ScanResult,
  type ScanVerdict,
  type TicketPublicKey,
  type TicketVerification,
  TICKET_PREFIX,
} from '@gatehouse/protocol';
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

/** A booking code typed or wedge-scanned instead of a QR token. */
const BOOKING_CODE = /^[A-Za-z0-9-]{4,32}$/;
const FOREVER = { validFrom: -8.64e12, validUntil: 8.64e12 };

function timeOf(iso: string, timeZone: string | undefined): string {
  try {
    return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));
  } catch {
    return iso;
  }
}

export type ScanDeps = {
  /** Device time corrected by the skew measured against the server, so a wrong clock changes no verdict. */
  trustedNow: () => number;
  /** Records an admission through the account's one write path (Account.mutate). */
  record: (args: MutationArgs<'checkin.record'>) => void;
};

/**
 * Offline verification in the order of docs/ARCHITECTURE.md §5 (Tickets): format, signature (the event's public keys),
 * event, cancelled, time window, already inside. Only an admit records a check-in (local row +
 * outbox in one transaction). Every lookup is a prepared statement on a primary key or index.
 */
export class Scanner {
  private readonly keyByKid;
  private readonly bookingById;
  private readonly bookingByCode;
  private readonly checkinsOf;
  private readonly verifier = new TicketVerifier();

  constructor(
    private readonly store: AccountStore,
    private readonly deps: ScanDeps,
  ) {
    const db = store.db;
    this.keyByKid = db.prepare('SELECT doc FROM ticket_keys WHERE kid = ? AND doc IS NOT NULL');
    this.bookingById = db.prepare('SELECT doc FROM bookings WHERE id = ? AND doc IS NOT NULL');
    this.bookingByCode = db.prepare('SELECT doc FROM bookings WHERE event_id = ? AND code = ? AND doc IS NOT NULL');
    this.checkinsOf = db.prepare(
      'SELECT doc FROM checkins WHERE booking_id = ? AND doc IS NOT NULL ORDER BY scanned_at, hlc',
    );
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

  private entryState(bookingId: string): EntryState {
    let state: EntryState = { inside: false };
    for (const row of this.checkinsOf.all(bookingId) as { doc: string }[]) {
      const checkin = JSON.parse(row.doc) as Checkin;
      if (checkin.direction === 'out') state = { inside: false };
      else if (!state.inside) {
        state = {
          inside: true,
          firstEntry: {
            checkinId: checkin.id,
            gate: checkin.gate,
            scannedAt: checkin.scannedAt,
            deviceId: checkin.deviceId,
          },
        };
      }
    }
    return state;
  }

  scan(params: { eventId: string; gate: string; scan: string }): ScanResult {
    const started = performance.now();
    const text = params.scan.trim();
    let verification: TicketVerification;
    if (!text.startsWith(`${TICKET_PREFIX}.`) && BOOKING_CODE.test(text)) {
      const row = this.bookingByCode.get(params.eventId, text.toLowerCase()) as { doc: string } | undefined;
      if (!row) return this.finish(started, params, { verdict: 'invalid', reason: 'unknownBooking' });
      const booking = JSON.parse(row.doc) as Booking;
      verification = { ok: true, claims: this.claimsOf(booking) };
    } else {
      verification = this.verifier.verify(text, this.findKey);
    }
    return this.decide(started, params, verification);
  }

  manual(params: { eventId: string; gate: string; bookingId: string }): ScanResult {
    const started = performance.now();
    const booking = this.booking(params.bookingId);
    if (!booking) return this.finish(started, params, { verdict: 'invalid', reason: 'unknownBooking' });
    return this.decide(started, params, { ok: true, claims: this.claimsOf(booking) });
  }

  private claimsOf(booking: Booking) {
    return { kid: '', eventId: booking.eventId, bookingId: booking.id, ticketTypeId: booking.ticketTypeId, ...FOREVER };
  }

  private decide(
    started: number,
    params: { eventId: string; gate: string },
    verification: TicketVerification,
  ): ScanResult {
    const bookingId = verification.ok ? verification.claims.bookingId : null;
    const booking = bookingId ? this.booking(bookingId) : undefined;
    const verdict = decideScan({
      verification,
      expectedEventId: params.eventId,
      booking,
      entry: bookingId ? this.entryState(bookingId) : { inside: false },
      nowMs: this.deps.trustedNow(),
    });
    return this.finish(started, params, verdict, booking);
  }

  private finish(
    started: number,
    params: { eventId: string; gate: string },
    verdict: ScanVerdict,
    booking?: Booking,
  ): ScanResult {
    const event = this.store.rows.getDoc<Event>('events', params.eventId);
    const ticketTypeName = booking
      ? (event?.ticketTypes.find((type) => type.id === booking.ticketTypeId)?.name ?? null)
      : null;
    let checkinId: string | null = null;
    let message: string;
    let reason: string | null = null;
    let firstEntry: ScanResult['firstEntry'] = null;
    switch (verdict.verdict) {
      case 'admit': {
        checkinId = newRowId();
        this.deps.record({
          id: checkinId,
          eventId: params.eventId,
          bookingId: verdict.bookingId,
          gate: params.gate,
          direction: 'in',
          scannedAt: new Date(this.deps.trustedNow()).toISOString(),
        });
        message = `Welcome, ${booking?.attendee.name ?? 'guest'}${ticketTypeName ? ` — ${ticketTypeName}` : ''}`;
        break;
      }
      case 'duplicate':
        firstEntry = verdict.firstEntry;
        message = `Already inside since ${timeOf(verdict.firstEntry.scannedAt, event?.timezone)} (${verdict.firstEntry.gate})`;
        reason = 'alreadyInside';
        break;
      case 'cancelled':
        message = 'Booking cancelled — do not admit';
        reason = 'cancelled';
        break;
      case 'wrongEvent':
        message = 'Ticket is for a different event';
        reason = 'wrongEvent';
        break;
      case 'invalid':
        message = INVALID_TEXT[verdict.reason];
        reason = verdict.reason;
        break;
    }
    return {
      verdict: verdict.verdict,
      message,
      reason,
      booking: booking ?? null,
      ticketTypeName,
      firstEntry,
      checkinId,
      micros: Math.round((performance.now() - started) * 1000),
    };
  }
}
