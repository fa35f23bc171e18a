import { writeFileSync } from 'node:fs';
import {
  BarcodeFormat,
  BinaryBitmap,
  DecodeHintType,
  HybridBinarizer,
  QRCodeReader,
  RGBLuminanceSource,
} from '@zxing/library';
import QRCode from 'qrcode';

/** The fake camera's picture size in pixels: VGA, a size every camera offers. */
export const CAMERA_WIDTH = 640;
export const CAMERA_HEIGHT = 480;

/** The blank margin around a QR, in modules, that readers need to find it (ISO/IEC 18004 §6.3.8). */
const QUIET_ZONE_MODULES = 4;

/**
 * Module sizes tried, in pixels. ZXing's detector misses some perfectly drawn codes at one module
 * size and reads them at another (measured: about 1 ticket in 5 at 7 px, 1 in 30 at 4 px) — that,
 * not the camera, made the first camera test pass only ~4 runs in 5. So the picture is drawn at the
 * first size the decoder reads.
 */
const MODULE_SIZES = [6, 5, 4, 7, 3];

const HINTS = new Map<DecodeHintType, unknown>([
  [DecodeHintType.TRY_HARDER, true],
  [DecodeHintType.POSSIBLE_FORMATS, [BarcodeFormat.QR_CODE]],
]);

function drawQr(modules: { size: number; get: (row: number, col: number) => number | boolean }, scale: number) {
  const left = Math.floor((CAMERA_WIDTH - modules.size * scale) / 2);
  const top = Math.floor((CAMERA_HEIGHT - modules.size * scale) / 2);
  const luma = new Uint8Array(CAMERA_WIDTH * CAMERA_HEIGHT).fill(255);
  for (let row = 0; row < modules.size; row++)
    for (let col = 0; col < modules.size; col++) {
      if (!modules.get(row, col)) continue;
      for (let y = 0; y < scale; y++) {
        const start = (top + row * scale + y) * CAMERA_WIDTH + left + col * scale;
        luma.fill(0, start, start + scale);
      }
    }
  return luma;
}

/** The text ZXing reads from a luma raster of the camera's size, or null. */
export function readQr(luma: Uint8Array): string | null {
  try {
    const source = new RGBLuminanceSource(new Uint8ClampedArray(luma), CAMERA_WIDTH, CAMERA_HEIGHT);
    return new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), HINTS).getText();
  } catch {
    return null;
  }
}

/**
 * A luma raster of `text` as a QR code, centred on a white picture of CAMERA_WIDTH × CAMERA_HEIGHT
 * pixels, one byte per pixel (0 black, 255 white), rows top to bottom. Each module is a whole number
 * of pixels, so the picture has no blurred edges, at the first of MODULE_SIZES (that fits with its
 * quiet zone) at which ZXing — the app's decoder — reads it back; null if it reads it at none.
 */
export function qrLuma(text: string): Uint8Array | null {
  // Level L: the fewest modules for a ticket's ~260 characters.
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'L' });
  const span = modules.size + 2 * QUIET_ZONE_MODULES;
  for (const scale of MODULE_SIZES) {
    if (span * scale > Math.min(CAMERA_WIDTH, CAMERA_HEIGHT)) continue;
    const luma = drawQr(modules, scale);
    if (readQr(luma) === text) return luma;
  }
  return null;
}

/**
 * Writes a YUV4MPEG2 (Y4M) video of `frames` identical frames of the luma raster, the format that
 * Chromium's `--use-file-for-fake-video-capture` plays in a loop as the camera. Each frame is planar
 * 4:2:0: the full-size Y plane, then quarter-size U and V planes at 128 (no colour).
 */
export function writeY4m(file: string, luma: Uint8Array, frames = 2): void {
  const chroma = new Uint8Array((CAMERA_WIDTH / 2) * (CAMERA_HEIGHT / 2)).fill(128);
  const header = Buffer.from(`YUV4MPEG2 W${CAMERA_WIDTH} H${CAMERA_HEIGHT} F10:1 Ip A1:1 C420jpeg\n`, 'ascii');
  const frame = Buffer.concat([Buffer.from('FRAME\n', 'ascii'), luma, chroma, chroma]);
  writeFileSync(file, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}
