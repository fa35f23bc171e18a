import { type KeyObject, createPublicKey, verify } from 'node:crypto';
import { decodeTicket, type TicketPublicKey, type TicketVerification } from '@gatehouse/protocol';

/**
 * protocol's `verifyTicket`, with the Ed25519 check done by Node's native crypto: the pure-JS
 * verifier takes milliseconds per scan, the native one tens of microseconds. Format parsing is
 * protocol's `decodeTicket`, so both accept exactly the same tokens (a unit test compares them).
 */
export class TicketVerifier {
  private readonly keys = new Map<string, KeyObject | null>();

  private keyObject(key: TicketPublicKey): KeyObject | null {
    const cacheKey = `${key.kid}:${key.publicKey}`;
    let cached = this.keys.get(cacheKey);
    if (cached === undefined) {
      try {
        cached = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.publicKey }, format: 'jwk' });
      } catch {
        cached = null;
      }
      if (this.keys.size > 1000) this.keys.clear();
      this.keys.set(cacheKey, cached);
    }
    return cached;
  }

  verify(token: string, findKey: (kid: string) => TicketPublicKey | undefined): TicketVerification {
    const decoded = decodeTicket(token);
    if (!decoded) return { ok: false, reason: 'format' };
    const key = findKey(decoded.claims.kid);
    const keyObject = key ? this.keyObject(key) : null;
    if (!keyObject) return { ok: false, reason: 'unknownKey', claims: decoded.claims };
    let valid = false;
    try {
      valid = verify(null, Buffer.from(decoded.signedText, 'ascii'), keyObject, decoded.signature);
    } catch {
      valid = false;
    }
    return valid ? { ok: true, claims: decoded.claims } : { ok: false, reason: 'signature', claims: decoded.claims };
  }
}
