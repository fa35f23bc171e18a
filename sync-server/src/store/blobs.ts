import { createHash } from 'node:crypto';

/**
 * The SHA-256 of a blob's bytes, base64url without padding: the `sha256` both adapters store, so a
 * blob moved between stores keeps its ETag (and a photo its protocol `photoId`).
 */
export function blobDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url');
}

/**
 * The bytes of one MongoDB chunk document: ~255 kB, GridFS's own choice, leaving room under the
 * 16 MB document limit and well under FerretDB's. A photo (≤ 512×512 WebP) is one or two chunks.
 */
export const BLOB_CHUNK_BYTES = 255 * 1024;

/** The blob id of a user's profile photo. */
export function userPhotoBlobId(userId: string): string {
  return `user:${userId}`;
}

/** The blob id of the attendee photo of a booking. */
export function bookingPhotoBlobId(bookingId: string): string {
  return `booking:${bookingId}`;
}
