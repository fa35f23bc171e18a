import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { z } from 'zod';

// Synchronous verification keeps a scan on the hot path free of promise hops.
ed.hashes.sha512 = sha512;

/**
 * Ticket token: `GH1.<payload>.<signature>`, both base64url. The payload is a JSON array
 * `[kid, eventId, bookingId, ticketTypeId, validFrom, validUntil]` (unix seconds), kept as an array
 * so the QR stays small. The signature covers the ASCII text `GH1.<payload>`, binding the version.
 */
export const TICKET_PREFIX = 'GH1';
/** Anything longer is not one of ours; refusing early keeps a 10 kB garbage scan cheap. */
export const MAX_TICKET_TOKEN_LENGTH = 512;

export type TicketClaims = {
  kid: string;
  eventId: string;
  bookingId: string;
  ticketTypeId: string;
  validFrom: number;
  validUntil: number;
};

export type TicketPublicKey = { kid: string; publicKey: string };
export type TicketKeyPair = TicketPublicKey & { privateKey: string };

export const ticketPublicKeySchema = z.object({
  id: z.string(),
  eventId: z.string(),
  kid: z.string(),
  publicKey: z.string(),
  createdAt: z.string(),
  retiredAt: z.string().nullable(),
});
export type TicketKeyDoc = z.infer<typeof ticketPublicKeySchema>;

const claimsTupleSchema = z.tuple([
  z.string().min(1).max(64),
  z.string().min(1).max(64),
  z.string().min(1).max(64),
  z.string().min(1).max(64),
  z.number().int(),
  z.number().int(),
]);

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function base64UrlDecode(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    // Canonical only: otherwise the unused low bits of the last character let two different
    // texts decode to the same bytes, so an altered token could still verify.
    if (base64UrlEncode(bytes) !== text) return null;
    return bytes;
  } catch {
    return null;
  }
}

function randomKid(): string {
  return base64UrlEncode(crypto.getRandomValues(new Uint8Array(6)));
}

export function generateTicketKeyPair(): TicketKeyPair {
  const { secretKey, publicKey } = ed.keygen();
  return { kid: randomKid(), publicKey: base64UrlEncode(publicKey), privateKey: base64UrlEncode(secretKey) };
}

export function signTicket(claims: TicketClaims, privateKey: string): string {
  const secret = base64UrlDecode(privateKey);
  if (!secret || secret.length !== 32) throw new Error('ticket private key must be 32 bytes base64url');
  const payload = base64UrlEncode(
    textEncoder.encode(
      JSON.stringify([
        claims.kid,
        claims.eventId,
        claims.bookingId,
        claims.ticketTypeId,
        claims.validFrom,
        claims.validUntil,
      ]),
    ),
  );
  const signed = `${TICKET_PREFIX}.${payload}`;
  return `${signed}.${base64UrlEncode(ed.sign(textEncoder.encode(signed), secret))}`;
}

export type DecodedTicket = { claims: TicketClaims; signedText: string; signature: Uint8Array };

/** Parses without checking the signature: for showing what a scan claims to be. */
export function decodeTicket(token: string): DecodedTicket | null {
  if (token.length > MAX_TICKET_TOKEN_LENGTH) return null;
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts[0] !== TICKET_PREFIX) return null;
  const payloadBytes = base64UrlDecode(parts[1]!);
  const signature = base64UrlDecode(parts[2]!);
  if (!payloadBytes || !signature || signature.length !== 64) return null;
  let tuple: unknown;
  try {
    tuple = JSON.parse(textDecoder.decode(payloadBytes));
  } catch {
    return null;
  }
  const parsed = claimsTupleSchema.safeParse(tuple);
  if (!parsed.success) return null;
  const [kid, eventId, bookingId, ticketTypeId, validFrom, validUntil] = parsed.data;
  return {
    claims: { kid, eventId, bookingId, ticketTypeId, validFrom, validUntil },
    signedText: `${parts[0]}.${parts[1]}`,
    signature,
  };
}

export type TicketVerification =
  | { ok: true; claims: TicketClaims }
  | { ok: false; reason: 'format' | 'unknownKey' | 'signature'; claims?: TicketClaims };

/**
 * Checks format and signature against the keys a device holds for events. Key lookup is by `kid`,
 * so rotated keys keep old tickets valid while they remain in the event's key list.
 */
export function verifyTicket(token: string, findKey: (kid: string) => TicketPublicKey | undefined): TicketVerification {
  const decoded = decodeTicket(token);
  if (!decoded) return { ok: false, reason: 'format' };
  const key = findKey(decoded.claims.kid);
  if (!key) return { ok: false, reason: 'unknownKey', claims: decoded.claims };
  const publicKey = base64UrlDecode(key.publicKey);
  if (!publicKey || publicKey.length !== 32) return { ok: false, reason: 'unknownKey', claims: decoded.claims };
  let valid = false;
  try {
    // RFC 8032 strict verification: no torsion-point or non-canonical encodings (ZIP-215 allows them).
    valid = ed.verify(decoded.signature, textEncoder.encode(decoded.signedText), publicKey, { zip215: false });
  } catch {
    valid = false;
  }
  return valid ? { ok: true, claims: decoded.claims } : { ok: false, reason: 'signature', claims: decoded.claims };
}
