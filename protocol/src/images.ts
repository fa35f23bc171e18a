import { z } from 'zod';
import { idSchema } from './common';

/**
 * Images (issue #20, parts 3 and 4): a user's profile photo and an attendee's photo on a booking.
 *
 * What the server accepts: the bytes of a JPEG, PNG or WebP image of at most `IMAGE_MAX_INPUT_BYTES`
 * and `IMAGE_MAX_INPUT_PIXELS`. The bytes decide the type, never the Content-Type or a file name: a
 * PNG sent as `image/jpeg` (or named `.jpg`) is read as the PNG it is, since a camera app's wrong label
 * hides nothing, while a GIF or SVG labelled `image/jpeg` is refused as what it is
 * (IMAGE_TYPE_UNSUPPORTED). The server rotates the picture upright by its EXIF orientation, drops
 * every piece of metadata (EXIF, GPS, ICC, XMP, comments), fits it within
 * `IMAGE_MAX_EDGE`×`IMAGE_MAX_EDGE` (never enlarging) and re-encodes it as WebP: what is stored and
 * served is only ever the server's own encoding.
 *
 * Errors (protocol/src/errors.ts): IMAGE_EMPTY (0 bytes, 400), IMAGE_TOO_LARGE (over 5 MiB, 413),
 * IMAGE_TYPE_UNSUPPORTED (an image, but not JPEG/PNG/WebP, or a body that is not declared as an
 * image, 415), IMAGE_INVALID (not a readable image, e.g. truncated or random bytes, 422),
 * IMAGE_TOO_MANY_PIXELS (width × height above the bound: a decompression bomb, 422).
 */

/** 5 MiB: the largest image body accepted (issue #20 part 4), in bytes. */
export const IMAGE_MAX_INPUT_BYTES = 5 * 1024 * 1024;

/**
 * 50 megapixels: the most pixels an accepted image may declare (width × height). Above any phone
 * camera's photo (48 MP at most), far below what would exhaust memory when decoded (a 20000×20000
 * PNG of one colour is a few kB on the wire and 1.6 GB decoded).
 */
export const IMAGE_MAX_INPUT_PIXELS = 50_000_000;

/** The media types a client may declare on an upload; the bytes must then be one of these formats. */
export const IMAGE_INPUT_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ImageInputMediaType = (typeof IMAGE_INPUT_MEDIA_TYPES)[number];

/** The longest edge of a stored image, in pixels: enough to tell faces apart on a verdict panel. */
export const IMAGE_MAX_EDGE = 512;

/** What every stored image is served as. */
export const IMAGE_OUTPUT_MEDIA_TYPE = 'image/webp';

/**
 * How long a client may reuse a fetched photo without asking again, in seconds. Short, because the
 * URL names the booking or user, not the photo; after it the client revalidates with If-None-Match
 * and gets a 304 while the photo is unchanged.
 */
export const IMAGE_CACHE_MAX_AGE_SECONDS = 300;

/**
 * A stored photo's id: the SHA-256 of its stored bytes, base64url without padding (43 characters).
 * Being a content hash it doubles as the HTTP ETag (`"<photoId>"`), so a device holding a photo
 * under this id never needs to fetch it again.
 */
export const photoIdSchema = idSchema.regex(/^[A-Za-z0-9_-]{43}$/, 'must be a SHA-256 in base64url');
export type PhotoId = z.infer<typeof photoIdSchema>;

/** The ETag header value of a photo: its id, quoted (RFC 9110 §8.8.3). */
export function photoEtag(photoId: PhotoId): string {
  return `"${photoId}"`;
}

/** The answer to a photo upload: the stored image, as re-encoded by the server. */
export const photoSchema = z.object({
  photoId: photoIdSchema,
  contentType: z.literal(IMAGE_OUTPUT_MEDIA_TYPE),
  /** In pixels, after rotation and resizing. */
  width: z.number().int(),
  height: z.number().int(),
  /** Of the stored encoding. */
  byteLength: z.number().int(),
});
export type Photo = z.infer<typeof photoSchema>;

/**
 * A photo's bytes as the renderer hands them to the core over RPC (base64, as RPC frames are JSON).
 * At most 5 MiB of bytes: base64 is 4/3 of that, plus padding.
 */
export const photoUploadSchema = z.strictObject({
  /** The declared type; the server reads the real one from the bytes. */
  contentType: z.string().min(1).max(100),
  dataBase64: z
    .string()
    .min(1)
    .max(Math.ceil(IMAGE_MAX_INPUT_BYTES / 3) * 4),
});
export type PhotoUpload = z.infer<typeof photoUploadSchema>;

/** A photo fetched for display, as the core hands it to the renderer; null when there is none. */
export const photoDataSchema = z
  .object({ photoId: photoIdSchema, contentType: z.string(), dataUrl: z.string() })
  .nullable();
export type PhotoData = z.infer<typeof photoDataSchema>;
