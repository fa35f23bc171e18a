import {
  GatehouseError,
  IMAGE_MAX_EDGE,
  IMAGE_MAX_INPUT_BYTES,
  IMAGE_MAX_INPUT_PIXELS,
  IMAGE_OUTPUT_MEDIA_TYPE,
} from '@gatehouse/protocol';
import sharp, { type Metadata } from 'sharp';
import { blobDigest } from '../store/blobs';

/** The formats accepted, as sharp names what it reads from the bytes. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp']);

/** WebP quality of stored photos: faces stay clear at 512 px in ~20–60 kB. */
const WEBP_QUALITY = 80;

// No pixel cache between requests: uploads are rare and each image is read once.
sharp.cache(false);

/** An image as stored: the server's own encoding, and what it was made from. */
export type ProcessedImage = {
  bytes: Buffer;
  contentType: typeof IMAGE_OUTPUT_MEDIA_TYPE;
  width: number;
  height: number;
  /** SHA-256 of `bytes`, base64url: the protocol's photoId and the ETag. */
  photoId: string;
  /** What the bytes were, whatever they were labelled (`jpeg`, `png`, `webp`). */
  sourceFormat: string;
};

/**
 * Turns uploaded bytes into a stored photo (protocol/src/images.ts): checks size, reads the real
 * format from the bytes (the declared Content-Type and any file name are not trusted), refuses an
 * image declaring more than IMAGE_MAX_INPUT_PIXELS before decoding a pixel, then rotates it upright
 * by its EXIF orientation, fits it within IMAGE_MAX_EDGE² (never enlarging) and re-encodes it as
 * WebP — sharp writes no metadata unless asked, so EXIF (GPS included), ICC, XMP and comments are
 * gone. Animated images keep their first frame.
 *
 * Throws GatehouseError: IMAGE_EMPTY, IMAGE_TOO_LARGE, IMAGE_TYPE_UNSUPPORTED, IMAGE_TOO_MANY_PIXELS,
 * IMAGE_INVALID.
 */
export async function processImage(input: Uint8Array): Promise<ProcessedImage> {
  if (input.byteLength === 0) throw new GatehouseError('IMAGE_EMPTY', 'The image is empty (0 bytes)');
  if (input.byteLength > IMAGE_MAX_INPUT_BYTES) throw tooLarge();
  const options = { limitInputPixels: IMAGE_MAX_INPUT_PIXELS, failOn: 'error', animated: false } as const;

  let metadata: Metadata;
  try {
    // Reads the header only: format and declared dimensions, no pixels decoded.
    metadata = await sharp(input, options).metadata();
  } catch (error) {
    // sharp checks the declared dimensions against limitInputPixels as it reads the header.
    if (isPixelLimit(error)) throw tooManyPixels();
    throw new GatehouseError('IMAGE_INVALID', 'The file is not a readable image (JPEG, PNG or WebP)');
  }
  if (!ACCEPTED_FORMATS.has(metadata.format)) {
    throw new GatehouseError(
      'IMAGE_TYPE_UNSUPPORTED',
      `The image is ${metadata.format.toUpperCase()}; send a JPEG, PNG or WebP image`,
    );
  }
  const pixels = (metadata.width ?? 0) * (metadata.height ?? 0);
  if (pixels > IMAGE_MAX_INPUT_PIXELS) throw tooManyPixels();
  if (pixels === 0) throw new GatehouseError('IMAGE_INVALID', 'The image has no pixels');

  try {
    const { data, info } = await sharp(input, options)
      .rotate()
      .resize(IMAGE_MAX_EDGE, IMAGE_MAX_EDGE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: WEBP_QUALITY })
      .toBuffer({ resolveWithObject: true });
    return {
      bytes: data,
      contentType: IMAGE_OUTPUT_MEDIA_TYPE,
      width: info.width,
      height: info.height,
      photoId: blobDigest(data),
      sourceFormat: metadata.format,
    };
  } catch (error) {
    if (isPixelLimit(error)) throw tooManyPixels();
    throw new GatehouseError('IMAGE_INVALID', 'The image could not be decoded (truncated or damaged)');
  }
}

function isPixelLimit(error: unknown): boolean {
  return error instanceof Error && /pixel limit/i.test(error.message);
}

function tooManyPixels(): GatehouseError {
  return new GatehouseError(
    'IMAGE_TOO_MANY_PIXELS',
    `The image has more than ${IMAGE_MAX_INPUT_PIXELS / 1_000_000} megapixels; send a smaller one`,
  );
}

/** The refusal of a body over IMAGE_MAX_INPUT_BYTES, wherever it is noticed (header, stream, pipeline). */
export function tooLarge(): GatehouseError {
  return new GatehouseError('IMAGE_TOO_LARGE', `The image is larger than ${IMAGE_MAX_INPUT_BYTES / (1024 * 1024)} MB`);
}
