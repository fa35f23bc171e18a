import { describe, expect, it } from 'vitest';
import {
  MAX_TICKET_TOKEN_LENGTH,
  base64UrlDecode,
  base64UrlEncode,
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
