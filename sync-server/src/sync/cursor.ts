import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { GatehouseError, parseBucket } from '@gatehouse/protocol';
import { z } from 'zod';

/**
 * The pull cursor: where a device stands in each of its buckets, `{bucket: seq}`, plus the user it was
 * issued to. Opaque to devices: deflated JSON + an HMAC, base64url. The MAC means a device cannot
 * fabricate positions (to skip rows, or to name buckets it never had); access is still evaluated on
 * every pull, so even a forged cursor could not reach another event's rows. Deflate keeps a cursor of
 * a few hundred buckets inside a URL (`pullQuerySchema` caps it at MAX_CURSOR_LENGTH).
 */
export type CursorPositions = Record<string, number>;
type CursorPayload = { v: 1; u: string; b: CursorPositions };

const payloadSchema = z.strictObject({
  v: z.literal(1),
  u: z.string().min(1).max(64),
  b: z.record(
    z.string().refine((bucket) => parseBucket(bucket) !== null),
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  ),
});

const MAC_BYTES = 16;
const MAX_INFLATED_BYTES = 512 * 1024;

export class CursorCodec {
  private readonly key: Buffer;

  constructor(jwtSecret: string) {
    // A separate key, so a cursor MAC can never be confused with (or used to forge) a token signature.
    this.key = Buffer.from(hkdfSync('sha256', jwtSecret, 'gatehouse', 'sync cursor v1', 32));
  }

  encode(userId: string, positions: CursorPositions): string {
    const payload: CursorPayload = { v: 1, u: userId, b: positions };
    const body = deflateRawSync(Buffer.from(JSON.stringify(payload)));
    return `${body.toString('base64url')}.${this.mac(body).toString('base64url')}`;
  }

  /** Positions of a cursor issued to `userId`; anything else is CURSOR_INVALID, never a query. */
  decode(userId: string, cursor: string): CursorPositions {
    const invalid = () =>
      new GatehouseError('CURSOR_INVALID', 'The sync cursor is not valid; pull again without a cursor');
    const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(cursor);
    if (!match) throw invalid();
    const body = Buffer.from(match[1]!, 'base64url');
    const mac = Buffer.from(match[2]!, 'base64url');
    if (mac.length !== MAC_BYTES || !timingSafeEqual(mac, this.mac(body))) throw invalid();
    let payload: CursorPayload;
    try {
      const json = inflateRawSync(body, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
      payload = payloadSchema.parse(JSON.parse(json));
    } catch {
      throw invalid();
    }
    // A cursor travels with its user: another account's cursor is refused, not silently reused.
    if (payload.u !== userId) throw invalid();
    return payload.b;
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, MAC_BYTES);
  }
}
