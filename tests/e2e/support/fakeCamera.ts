import { writeFileSync } from 'node:fs';
import QRCode from 'qrcode';

/**
 * The fake camera's picture size in pixels: VGA, so the QR's modules are several pixels wide (at
 * 320×240 they were 3, and a decode sometimes took longer than the test's wait).
 */
export const CAMERA_WIDTH = 640;
export const CAMERA_HEIGHT = 480;

/** The blank margin around a QR, in modules, that readers need to find it (ISO/IEC 18004 §6.3.8). */
const QUIET_ZONE_MODULES = 4;

/**
 * A luma raster of `text` as a QR code, centred on a white picture of CAMERA_WIDTH × CAMERA_HEIGHT
 * pixels, one byte per pixel (0 black, 255 white), rows top to bottom. Each module is a whole number
 * of pixels, the largest that fits with its quiet zone, so the camera's picture has no blurred edges.
 * Throws if the code needs more modules than the picture has pixels.
 */
export function qrLuma(text: string): Uint8Array {
  // Level L: the fewest modules for a ticket's ~200 characters, so each module gets more pixels.
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'L' });
  const span = modules.size + 2 * QUIET_ZONE_MODULES;
  const scale = Math.floor(Math.min(CAMERA_WIDTH, CAMERA_HEIGHT) / span);
  if (scale < 1) throw new Error(`a ${modules.size}-module QR does not fit ${CAMERA_WIDTH}×${CAMERA_HEIGHT}`);
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
