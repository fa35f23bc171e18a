import { createDeflate, crc32 } from 'node:zlib';
import { GatehouseError, IMAGE_MAX_EDGE, IMAGE_MAX_INPUT_BYTES } from '@gatehouse/protocol';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { processImage } from '../src/images/pipeline';

/**
 * The image pipeline (protocol/src/images.ts) on images made here by sharp, and on hand-built bad
 * input: each refusal has its code.
 */

const solid = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatehouseError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A valid 1-bit greyscale PNG of `side`×`side` pixels, all black: its rows deflate ~1000:1, so a
 * 20000×20000 image (400 megapixels, 1.2 GB once decoded to RGB) is ~50 kB on the wire.
 */
async function pngBomb(side: number): Promise<Buffer> {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, adaptive filter, no interlace
  const row = Buffer.alloc(1 + Math.ceil(side / 8)); // filter byte 0, then zero bits
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  for (let y = 0; y < side; y++) deflate.write(row);
  deflate.end();
  await done;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', Buffer.concat(parts)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('image pipeline', () => {
  it('a JPEG with EXIF (GPS, artist) and orientation 6: stored upright as WebP with no metadata at all', async () => {
    const input = await solid(200, 100)
      .jpeg()
      .withExif({
        IFD0: { Artist: 'SecretArtist', Copyright: 'SecretCopyright' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
      })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const before = await sharp(input).metadata();
    // The input does carry them: the GPS IFD pointer (tag 0x8825, little-endian) and the artist.
    expect(before.orientation).toBe(6);
    expect(before.exif!.indexOf(Buffer.from([0x25, 0x88]))).toBeGreaterThan(0);
    expect(before.exif!.toString('latin1')).toContain('SecretArtist');

    const image = await processImage(input);
    expect(image).toMatchObject({ contentType: 'image/webp', sourceFormat: 'jpeg', width: 100, height: 200 });
    const after = await sharp(image.bytes).metadata();
    expect(after).toMatchObject({ format: 'webp', width: 100, height: 200 });
    expect(after.exif).toBeUndefined();
    expect(after.icc).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    const text = image.bytes.toString('latin1');
    for (const mark of ['Exif', 'SecretArtist', 'SecretCopyright', 'XMP']) expect(text).not.toContain(mark);
    expect(image.photoId).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('a large PNG is fitted within the bound, keeping its shape; a small one is never enlarged', async () => {
    const large = await processImage(await solid(2000, 1000).png().toBuffer());
    expect(large).toMatchObject({ sourceFormat: 'png', width: IMAGE_MAX_EDGE, height: IMAGE_MAX_EDGE / 2 });
    const small = await processImage(await solid(40, 30).png().toBuffer());
    expect(small).toMatchObject({ width: 40, height: 30 });
    expect((await sharp(small.bytes).metadata()).format).toBe('webp');
  });

  it('a WebP is re-encoded too; the same image gives the same photo id', async () => {
    const input = await solid(300, 300).webp().toBuffer();
    const first = await processImage(input);
    expect(first).toMatchObject({ sourceFormat: 'webp', width: 300, height: 300 });
    expect((await processImage(input)).photoId).toBe(first.photoId);
  });

  it('GIF and SVG are refused as what they are (IMAGE_TYPE_UNSUPPORTED), as is TIFF', async () => {
    const gif = await solid(10, 10).gif().toBuffer();
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
    );
    const tiff = await solid(10, 10).tiff().toBuffer();
    for (const input of [gif, svg, tiff]) expect(await codeOf(processImage(input))).toBe('IMAGE_TYPE_UNSUPPORTED');
  });

  it('a decompression bomb (20000×20000 PNG of ~50 kB) is refused before decoding: IMAGE_TOO_MANY_PIXELS', async () => {
    const bomb = await pngBomb(20_000);
    expect(bomb.byteLength).toBeLessThan(200 * 1024);
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({
      format: 'png',
      width: 20_000,
      height: 20_000,
    });
    expect(await codeOf(processImage(bomb))).toBe('IMAGE_TOO_MANY_PIXELS');
    // Under sharp's own default limit (268 MP), over ours (50 MP): refused by our bound.
    expect(await codeOf(processImage(await pngBomb(8_000)))).toBe('IMAGE_TOO_MANY_PIXELS');
  });

  it('0 bytes is IMAGE_EMPTY; over 5 MiB is IMAGE_TOO_LARGE (before it is read)', async () => {
    expect(await codeOf(processImage(Buffer.alloc(0)))).toBe('IMAGE_EMPTY');
    const big = Buffer.alloc(6 * 1024 * 1024, 1);
    expect(await codeOf(processImage(big))).toBe('IMAGE_TOO_LARGE');
    expect(await codeOf(processImage(Buffer.alloc(IMAGE_MAX_INPUT_BYTES + 1)))).toBe('IMAGE_TOO_LARGE');
  });

  it('bytes that are no image, and a truncated image, are IMAGE_INVALID', async () => {
    expect(await codeOf(processImage(Buffer.from('hello, this is text and not a picture')))).toBe('IMAGE_INVALID');
    const png = await solid(64, 64).png().toBuffer();
    expect(await codeOf(processImage(png.subarray(0, 60)))).toBe('IMAGE_INVALID');
    const jpeg = await solid(256, 256).jpeg().toBuffer();
    expect(await codeOf(processImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))))).toBe('IMAGE_INVALID');
  });
});
