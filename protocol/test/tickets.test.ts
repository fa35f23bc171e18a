import { describe, expect, it } from 'vitest';
import {
  MAX_TICKET_TOKEN_LENGTH,
  TICKET_WINDOW_GRACE_SECONDS,
  base64UrlDecode,
  base64UrlEncode,
  decideScan,
  decodeTicket,
  generateTicketKeyPair,
  signTicket,
  verifyTicket,
  type TicketClaims,
  type TicketKeyPair,
} from '../src/tickets';

const key = generateTicketKeyPair();
const otherKey = generateTicketKeyPair();
const claims: TicketClaims = {
  kid: key.kid,
  eventId: 'event-1',
  bookingId: '0b9d6f5e-2a34-4c1b-9f0e-7d2c1a3b4c5d',
  ticketTypeId: 'tt_standard',
  validFrom: 1_800_000_000,
  validUntil: 1_800_014_400,
};
const token = signTicket(claims, key.privateKey);
const keysOf =
  (...pairs: TicketKeyPair[]) =>
  (kid: string) =>
    pairs.find((pair) => pair.kid === kid);
const during = (claims.validFrom + 60) * 1000;

function scan(text: string, overrides: Partial<Parameters<typeof decideScan>[0]> = {}) {
  return decideScan({
    verification: verifyTicket(text, keysOf(key)),
    expectedEventId: 'event-1',
    booking: { status: 'confirmed' },
    entry: { inside: false },
    nowMs: during,
    ...overrides,
  });
}

describe('ticket tokens', () => {
  it('round-trips: GH1.<payload>.<signature>, compact, verifying with the public key', () => {
    expect(token).toMatch(/^GH1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/);
    expect(token.length).toBeLessThan(260);
    expect(verifyTicket(token, keysOf(key))).toEqual({ ok: true, claims });
    expect(decodeTicket(token)?.claims).toEqual(claims);
  });

  it('every single-character change anywhere in the token is refused', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '.') continue;
      const replacement = alphabet[(alphabet.indexOf(token[i]!) + 1) % alphabet.length]!;
      const altered = token.slice(0, i) + replacement + token.slice(i + 1);
      const result = verifyTicket(altered, keysOf(key));
      expect(result.ok, `position ${i}`).toBe(false);
    }
  });

  it('names the reason: format, unknown key, signature', () => {
    expect(verifyTicket('not a token', keysOf(key))).toEqual({ ok: false, reason: 'format' });
    expect(verifyTicket(`GH2${token.slice(3)}`, keysOf(key))).toEqual({ ok: false, reason: 'format' });
    expect(verifyTicket(`${token}.extra`, keysOf(key))).toEqual({ ok: false, reason: 'format' });
    expect(verifyTicket('x'.repeat(MAX_TICKET_TOKEN_LENGTH + 1), keysOf(key))).toEqual({ ok: false, reason: 'format' });
    const notJson = `GH1.${base64UrlEncode(new TextEncoder().encode('{nope'))}.${token.split('.')[2]}`;
    expect(verifyTicket(notJson, keysOf(key))).toEqual({ ok: false, reason: 'format' });
    const wrongTuple = `GH1.${base64UrlEncode(new TextEncoder().encode('["a","b"]'))}.${token.split('.')[2]}`;
    expect(verifyTicket(wrongTuple, keysOf(key))).toEqual({ ok: false, reason: 'format' });

    expect(verifyTicket(token, keysOf(otherKey))).toMatchObject({ ok: false, reason: 'unknownKey', claims });
    // Signed by another key under this key's id.
    const forged = signTicket(claims, otherKey.privateKey);
    expect(verifyTicket(forged, keysOf(key))).toMatchObject({ ok: false, reason: 'signature' });
    // A key entry that is not a 32-byte key is treated as unknown, not as a crash.
    expect(verifyTicket(token, () => ({ kid: key.kid, publicKey: 'short' }))).toMatchObject({ reason: 'unknownKey' });
  });

  it('rejects non-canonical base64url (unused bits set) so a token has exactly one spelling', () => {
    const canonical = base64UrlEncode(new Uint8Array([0xff]));
    expect(canonical).toBe('_w');
    expect(base64UrlDecode('_w')).toEqual(new Uint8Array([0xff]));
    expect(base64UrlDecode('_x')).toBeNull();
    expect(base64UrlDecode('a+b/')).toBeNull();
    expect(base64UrlDecode('abc=')).toBeNull();
  });

  it('refuses a signing key that is not 32 bytes', () => {
    expect(() => signTicket(claims, 'c2hvcnQ')).toThrow(/32 bytes/);
  });
});

describe('decideScan: the offline check order of DESIGN §5', () => {
  it('admits a valid ticket once, then reports the duplicate with the first entry', () => {
    expect(scan(token)).toEqual({ verdict: 'admit', bookingId: claims.bookingId });
    const firstEntry = { checkinId: 'c1', gate: 'North', scannedAt: '2027-01-15T08:01:00Z', deviceId: 'd1' };
    expect(scan(token, { entry: { inside: true, firstEntry } })).toEqual({
      verdict: 'duplicate',
      bookingId: claims.bookingId,
      firstEntry,
    });
  });

  it('cancelled, wrong event, unknown booking, invalid signature', () => {
    expect(scan(token, { booking: { status: 'cancelled' } })).toEqual({
      verdict: 'cancelled',
      bookingId: claims.bookingId,
    });
    expect(scan(token, { expectedEventId: 'event-2' })).toEqual({
      verdict: 'wrongEvent',
      bookingId: claims.bookingId,
      ticketEventId: 'event-1',
    });
    expect(scan(token, { booking: undefined })).toEqual({ verdict: 'invalid', reason: 'unknownBooking' });
    const forged = signTicket(claims, otherKey.privateKey);
    expect(scan(forged)).toEqual({ verdict: 'invalid', reason: 'signature' });
    // Another event's genuine ticket, whose key this device does not hold: wrong event, not "invalid".
    const foreignClaims = { ...claims, kid: otherKey.kid, eventId: 'event-9' };
    expect(scan(signTicket(foreignClaims, otherKey.privateKey))).toEqual({
      verdict: 'wrongEvent',
      bookingId: claims.bookingId,
      ticketEventId: 'event-9',
    });
  });

  it('honours the validity window with its grace on either side', () => {
    const grace = TICKET_WINDOW_GRACE_SECONDS * 1000;
    expect(scan(token, { nowMs: claims.validFrom * 1000 - grace + 1000 }).verdict).toBe('admit');
    expect(scan(token, { nowMs: claims.validFrom * 1000 - grace - 1000 })).toEqual({
      verdict: 'invalid',
      reason: 'notYetValid',
    });
    expect(scan(token, { nowMs: claims.validUntil * 1000 + grace - 1000 }).verdict).toBe('admit');
    expect(scan(token, { nowMs: claims.validUntil * 1000 + grace + 1000 })).toEqual({
      verdict: 'invalid',
      reason: 'expired',
    });
  });

  it('checks cancellation before the time window and the signature before everything', () => {
    const late = claims.validUntil * 1000 + TICKET_WINDOW_GRACE_SECONDS * 1000 + 60_000;
    expect(scan(token, { booking: { status: 'cancelled' }, nowMs: late }).verdict).toBe('cancelled');
    const forged = signTicket(claims, otherKey.privateKey);
    expect(scan(forged, { booking: { status: 'cancelled' }, expectedEventId: 'event-2' })).toEqual({
      verdict: 'invalid',
      reason: 'signature',
    });
  });
});
