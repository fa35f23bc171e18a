/**
 * Figures of the photo pipeline (sync-server/src/images/pipeline.ts) on this machine: for a 12 MP
 * and a 2 MP photo-like JPEG, the input and stored sizes and the median time of five runs.
 *
 *   npx tsx scripts/bench/photo-pipeline.ts
 */
import sharp from 'sharp';
import { processImage } from '../../sync-server/src/images/pipeline';

/** Random pixels, blurred: a picture with real detail for the JPEG to encode (a flat colour is not one). */
async function photoLike(width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let index = 0; index < raw.length; index++) raw[index] = Math.floor(Math.random() * 256);
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .blur(2)
    .jpeg({ quality: 85 })
    .toBuffer();
}

const RUNS = 5;
for (const [width, height] of [
  [4000, 3000],
  [1920, 1080],
] as const) {
  const input = await photoLike(width, height);
  const times: number[] = [];
  let stored = 0;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const image = await processImage(input);
    times.push(performance.now() - started);
    stored = image.bytes.byteLength;
  }
  times.sort((a, b) => a - b);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} kB`;
  console.log(
    `${width}×${height} JPEG ${kb(input.byteLength)} → stored WebP ${kb(stored)}, ` +
      `median ${times[Math.floor(RUNS / 2)]!.toFixed(0)} ms of ${RUNS}`,
  );
}
