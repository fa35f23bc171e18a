import { describe, expect, it } from 'vitest';
import { HISTORY_CASES, recordsOf } from '../../tests/support/door-cases';
import {
  countAdmissions,
  decideScan,
  entryStateOf,
  findDuplicateEntries,
  NOT_ENTERED,
  scansByBooking,
  TICKET_WINDOW_GRACE_SECONDS,
  type EventAtDoor,
  VOID_WINDOW_MS,
  voidRefusal,
  type ScanInput,
} from '../src/checkins/index';
import { formatHlc } from '../src/hlc';
import { generateTicketKeyPair, signTicket, verifyTicket, type TicketClaims } from '../src/tickets';

describe('entry state: one table, HLC order, then id', () => {
  for (const historyCase of HISTORY_CASES) {
    it(historyCase.name, () => {
      const scans = recordsOf(historyCase);
      const state = entryStateOf(scans);
      expect(state.inside).toBe(historyCase.inside);
      if (state.inside) expect(state.firstEntry.checkinId).toBe(historyCase.firstEntry);
      expect(findDuplicateEntries(scans).map((d) => [d.checkinId, d.firstCheckinId])).toEqual(historyCase.duplicates);
      // Whatever order the scans arrived in.
      expect(entryStateOf([...scans].reverse())).toEqual(state);
    });
  }
});

const key = generateTicketKeyPair();
const otherKey = generateTicketKeyPair();
const claims: TicketClaims = {
  kid: key.kid,
  eventId: 'event-1',
  bookingId: 'booking-1',
  ticketTypeId: 'tt_standard',
  validFrom: 1_800_000_000,
  validUntil: 1_800_014_400,
};
const event: EventAtDoor = {
  status: 'published',
  startsAt: new Date(claims.validFrom * 1000).toISOString(),
  endsAt: new Date(claims.validUntil * 1000).toISOString(),
  allowReentry: true,
};
const during = (claims.validFrom + 60) * 1000;
const grace = TICKET_WINDOW_GRACE_SECONDS * 1000;
const verified = (over: Partial<TicketClaims> = {}, signer = key) =>
  verifyTicket(signTicket({ ...claims, ...over }, signer.privateKey), (kid) => (kid === key.kid ? key : undefined));
const firstEntry = { checkinId: 'c1', gate: 'North', scannedAt: '2027-01-15T08:01:00Z', deviceId: 'd1' };
const lastExit = { checkinId: 'c2', gate: 'North', scannedAt: '2027-01-15T09:01:00Z', deviceId: 'd1' };

function verdictOf(over: Partial<ScanInput> = {}) {
  return decideScan({
    verification: verified(),
    expectedEventId: 'event-1',
    event,
    booking: { status: 'confirmed' },
    entry: NOT_ENTERED,
    direction: 'in',
    nowMs: during,
    ...over,
  });
}

describe('decideScan: one test per rule, with an injected now', () => {
  it('admits a valid ticket', () => {
    expect(verdictOf()).toEqual({ verdict: 'admit', bookingId: 'booking-1', bookingOnDevice: true });
  });
  it('duplicate: already inside, naming the admitting entry', () => {
    expect(verdictOf({ entry: { inside: true, firstEntry } })).toEqual({
      verdict: 'duplicate',
      bookingId: 'booking-1',
      firstEntry,
    });
  });
  it('booking cancelled', () => {
    expect(verdictOf({ booking: { status: 'cancelled' } })).toEqual({
      verdict: 'cancelled',
      bookingId: 'booking-1',
      of: 'booking',
    });
  });
  it('event cancelled: every ticket of it, before the booking is even looked at', () => {
    expect(verdictOf({ event: { ...event, status: 'cancelled' }, booking: undefined })).toEqual({
      verdict: 'cancelled',
      bookingId: 'booking-1',
      of: 'event',
    });
  });
  it('wrong event: a ticket of another event, naming it, signed by a key this device holds or not', () => {
    expect(verdictOf({ expectedEventId: 'event-2' })).toEqual({
      verdict: 'wrongEvent',
      bookingId: 'booking-1',
      ticketEventId: 'event-1',
    });
    const foreign = verifyTicket(
      signTicket({ ...claims, kid: otherKey.kid, eventId: 'event-9' }, otherKey.privateKey),
      () => undefined,
    );
    expect(verdictOf({ verification: foreign })).toEqual({
      verdict: 'wrongEvent',
      bookingId: 'booking-1',
      ticketEventId: 'event-9',
    });
  });
  it('invalid signature: a forged ticket, before anything else', () => {
    const forged = verified({}, { ...otherKey, kid: key.kid });
    expect(verdictOf({ verification: forged, booking: { status: 'cancelled' }, expectedEventId: 'event-2' })).toEqual({
      verdict: 'invalid',
      reason: 'signature',
    });
  });
  it('invalid format: a scan of garbage', () => {
    expect(verdictOf({ verification: verifyTicket('%%%garbage', () => undefined) })).toEqual({
      verdict: 'invalid',
      reason: 'format',
    });
  });
  it("not valid yet and over: the event's current dates with their grace", () => {
    expect(verdictOf({ nowMs: claims.validFrom * 1000 - grace + 1000 }).verdict).toBe('admit');
    expect(verdictOf({ nowMs: claims.validFrom * 1000 - grace - 1000 })).toEqual({
      verdict: 'invalid',
      reason: 'notYetValid',
    });
    expect(verdictOf({ nowMs: claims.validUntil * 1000 + grace - 1000 }).verdict).toBe('admit');
    expect(verdictOf({ nowMs: claims.validUntil * 1000 + grace + 1000 })).toEqual({
      verdict: 'invalid',
      reason: 'expired',
    });
  });
  it('rescheduled: a ticket issued for the old dates admits at the new ones, and not at the old', () => {
    const threeDays = 3 * 24 * 3600 * 1000;
    const moved = {
      ...event,
      startsAt: new Date(claims.validFrom * 1000 + threeDays).toISOString(),
      endsAt: new Date(claims.validUntil * 1000 + threeDays).toISOString(),
    };
    expect(verdictOf({ event: moved, nowMs: during + threeDays }).verdict).toBe('admit');
    expect(verdictOf({ event: moved, nowMs: during })).toEqual({ verdict: 'invalid', reason: 'notYetValid' });
  });
  it("the token's own window only for an event this device has never seen", () => {
    expect(verdictOf({ event: undefined, nowMs: claims.validUntil * 1000 + grace + 1000 })).toEqual({
      verdict: 'invalid',
      reason: 'expired',
    });
  });
  it('not on this device: a verified ticket whose booking has not arrived is admitted on its signature', () => {
    expect(verdictOf({ booking: undefined })).toEqual({
      verdict: 'admit',
      bookingId: 'booking-1',
      bookingOnDevice: false,
    });
  });
  it('exit: lets out whoever is inside, and anyone holding a ticket of the event', () => {
    expect(verdictOf({ direction: 'out', entry: { inside: true, firstEntry } })).toEqual({
      verdict: 'exit',
      bookingId: 'booking-1',
    });
    expect(verdictOf({ direction: 'out', nowMs: during + 10 * grace }).verdict).toBe('exit');
  });
  it('re-entry allowed: after an exit the ticket admits again', () => {
    expect(verdictOf({ entry: { inside: false, admitted: true, lastExit } }).verdict).toBe('admit');
  });
  it('re-entry not allowed: after an exit the ticket is refused, naming the exit', () => {
    expect(
      verdictOf({ event: { ...event, allowReentry: false }, entry: { inside: false, admitted: true, lastExit } }),
    ).toEqual({ verdict: 'noReentry', bookingId: 'booking-1', lastExit });
  });
});

describe('countAdmissions: what the figures count', () => {
  const scans = [
    ...recordsOf(HISTORY_CASES[1]!, 'live-inside'),
    ...recordsOf(HISTORY_CASES[4]!, 'live-left'),
    ...recordsOf(HISTORY_CASES[1]!, 'cancelled-after'),
    ...recordsOf(HISTORY_CASES[1]!, 'not-here-yet').map((scan) => ({ ...scan, id: 'z1' })),
  ];
  const bookings = new Map([
    ['live-inside', { status: 'confirmed' as const, ticketTypeId: 'tt_a' }],
    ['live-left', { status: 'confirmed' as const, ticketTypeId: 'tt_b' }],
    ['cancelled-after', { status: 'cancelled' as const, ticketTypeId: 'tt_a' }],
  ]);
  it('checked in among live bookings; admitted-then-cancelled on its own line; inside now', () => {
    const counts = countAdmissions(scansByBooking(scans), (id) => bookings.get(id));
    expect(counts).toEqual({
      checkedIn: 3,
      inside: 2,
      admittedThenCancelled: 1,
      checkedInByType: new Map([
        ['tt_a', 1],
        ['tt_b', 1],
      ]),
    });
  });
});

describe('voidRefusal: who may undo an admission', () => {
  const at = (ms: number) => formatHlc({ wallMs: ms, counter: 0, node: 'd' });
  const admission = { direction: 'in' as const, deviceId: 'door-1', hlc: at(1_000_000) };
  const steward = (deviceId: string, ms: number) => ({ manager: false, deviceId, hlc: at(ms) });
  it('the admitting device, within the window', () => {
    expect(voidRefusal(admission, steward('door-1', 1_000_000 + VOID_WINDOW_MS), false)).toBeNull();
  });
  it('not after the window', () => {
    expect(voidRefusal(admission, steward('door-1', 1_000_001 + VOID_WINDOW_MS), false)).toBe('tooLate');
  });
  it('not from another device', () => {
    expect(voidRefusal(admission, steward('door-2', 1_000_100), false)).toBe('notYours');
  });
  it('an organizer, from anywhere, at any time', () => {
    expect(voidRefusal(admission, { manager: true, deviceId: 'laptop', hlc: at(9e12) }, false)).toBeNull();
  });
  it('only an entry, and only once', () => {
    expect(voidRefusal({ ...admission, direction: 'out' }, steward('door-1', 1_000_100), false)).toBe('notAnAdmission');
    expect(voidRefusal(admission, { manager: true, deviceId: 'laptop', hlc: at(1) }, true)).toBe('alreadyVoided');
  });
});
