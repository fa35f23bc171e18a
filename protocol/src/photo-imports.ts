import { z } from 'zod';
import { errorCodeSchema, type ErrorCode } from './errors';
import { IMAGE_MAX_INPUT_BYTES, photoSchema } from './images';
import { idSchema } from './common';

/**
 * Attendee photos imported in bulk (issue #20: a booking's photo is put "by organizer upload, or
 * imported"). An organizer has a folder of pictures named after something they have in their
 * files — the booking's door code (`K7Q2M9XA.jpg`) or the ticket shop's id a CSV import kept as the
 * booking's `externalId` (`12345678-1.jpg`) — and `PUT /events/:id/attendee-photos/:reference`
 * puts each on the booking it names. The desktop's "Import photos…" reads each file's name into a
 * reference here, uploads two at a time through the core (`photoImports.put`), and sums the
 * outcomes up (runPhotoImport).
 */

/** A reference: a door code or an external id, trimmed, at most 200 characters. */
export const photoReferenceSchema = z.string().trim().min(1).max(200);

export const attendeePhotoParamsSchema = z.strictObject({ id: idSchema, reference: photoReferenceSchema });

/** What `PUT /events/:id/attendee-photos/:reference` answers: the booking the reference named, and its photo. */
export const attendeePhotoAnswerSchema = z.object({ bookingId: idSchema, photo: photoSchema });
export type AttendeePhotoAnswer = z.infer<typeof attendeePhotoAnswerSchema>;

/**
 * A reference folded as booking codes are: codes are stored upper case (Crockford base32,
 * bookings.ts), so `k7q2m9xa.jpg` names the booking `K7Q2M9XA`. External ids are matched as given.
 */
export function foldBookingCode(reference: string): string {
  return reference.trim().toUpperCase();
}

/**
 * File extensions taken as images, with the type their bytes are labelled with (the server reads
 * the real type from the bytes either way). Formats the server refuses (GIF, HEIC, TIFF, BMP) are
 * still images: they are uploaded and come back refused IMAGE_TYPE_UNSUPPORTED, which tells the
 * organizer more than skipping them silently would.
 */
const IMAGE_EXTENSIONS: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jfif: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
  avif: 'image/avif',
};

/** One file as an import sees it: an image with its reference, or skipped (listed, never uploaded). */
export type PhotoFileName =
  { kind: 'image'; fileName: string; reference: string; contentType: string } | { kind: 'skipped'; fileName: string };

/**
 * Reads a file's name (a path's last part: a folder pick names files `folder/sub/anna.jpg`) into
 * its reference: the name without its extension, trimmed. Skipped: no image extension (`.txt`,
 * `Thumbs.db`), hidden files (`.DS_Store`, macOS `._anna.jpg` resource forks) and an empty name.
 */
export function photoFileName(path: string): PhotoFileName {
  const fileName = path.split(/[\\/]/).pop() ?? path;
  const dot = fileName.lastIndexOf('.');
  if (fileName.startsWith('.') || dot <= 0) return { kind: 'skipped', fileName };
  const contentType = IMAGE_EXTENSIONS[fileName.slice(dot + 1).toLowerCase()];
  const reference = fileName.slice(0, dot).trim();
  if (!contentType || !reference || reference.length > 200) return { kind: 'skipped', fileName };
  return { kind: 'image', fileName, reference, contentType };
}

/**
 * What became of one file: `set` (the booking now has the photo), `unknown` (the reference names
 * no booking of the event: PHOTO_REFERENCE_UNKNOWN), `refused` (the image was refused, with the
 * server's code: IMAGE_TYPE_UNSUPPORTED, IMAGE_TOO_LARGE, IMAGE_INVALID, …) and `failed` (the
 * server could not be reached or failed: OFFLINE, INTERNAL, … — worth a retry).
 */
export const photoImportOutcomeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('set'), bookingId: idSchema, photoId: z.string() }),
  z.object({ kind: z.literal('unknown') }),
  z.object({ kind: z.literal('refused'), code: errorCodeSchema, message: z.string() }),
  z.object({ kind: z.literal('failed'), code: errorCodeSchema, message: z.string() }),
]);
export type PhotoImportOutcome = z.infer<typeof photoImportOutcomeSchema>;

/** The codes that refuse the picture itself (retrying the same file cannot help). */
export const IMAGE_REFUSAL_CODES: readonly ErrorCode[] = [
  'IMAGE_EMPTY',
  'IMAGE_TOO_LARGE',
  'IMAGE_TYPE_UNSUPPORTED',
  'IMAGE_INVALID',
  'IMAGE_TOO_MANY_PIXELS',
];

/** The RPC's input: one file's bytes (base64: RPC frames are JSON) for the reference of its name. */
export const photoImportPutSchema = z.strictObject({
  eventId: idSchema,
  reference: photoReferenceSchema,
  /**
   * The booking, when the caller knows it already (a CSV import's photo column: ImportSummary.photos);
   * the photo then goes to `PUT /bookings/:id/photo` and `reference` only names the file.
   */
  bookingId: idSchema.optional(),
  contentType: z.string().min(1).max(100),
  dataBase64: z
    .string()
    .min(1)
    .max(Math.ceil(IMAGE_MAX_INPUT_BYTES / 3) * 4),
});
export type PhotoImportPut = z.infer<typeof photoImportPutSchema>;

/** The preview's answer per image reference: does a booking this device holds have it as its code? */
export const photoImportPreviewSchema = z.object({
  /** References no booking on this device has as its code: maybe an external id (the server decides), maybe unknown. */
  notKnownHere: z.array(z.string()),
});
export type PhotoImportPreview = z.infer<typeof photoImportPreviewSchema>;

/** One file's line in a summary. */
export type PhotoImportResult = { fileName: string; reference: string; outcome: PhotoImportOutcome };

/** An import's tally, and each file's outcome in the order the files were given. */
export type PhotoImportSummary = {
  results: PhotoImportResult[];
  set: number;
  unknown: number;
  refused: number;
  failed: number;
};

/** The outcomes of `results` counted. */
export function summarizePhotoImport(results: PhotoImportResult[]): PhotoImportSummary {
  const count = (kind: PhotoImportOutcome['kind']): number => results.filter((r) => r.outcome.kind === kind).length;
  return { results, set: count('set'), unknown: count('unknown'), refused: count('refused'), failed: count('failed') };
}

/** How many uploads an import keeps in flight: two, as the photo fetcher does, so one import never hogs the server. */
export const PHOTO_IMPORT_CONCURRENCY = 2;

/**
 * Uploads the files `concurrency` at a time through `put` (which answers an outcome and never
 * throws for a file's own trouble; a throw counts as `failed`), reporting after each file how many
 * are done, and answers the summary in the files' order. Stops starting new files once `stopped()`
 * says so (the dialog closed); files never started are left out of the summary. To retry, call it
 * again with retryablePhotoFiles and merge (mergePhotoImports).
 */
export async function runPhotoImport<F extends { fileName: string; reference: string }>(
  files: F[],
  put: (file: F) => Promise<PhotoImportOutcome>,
  options: { concurrency?: number; onProgress?: (done: number, total: number) => void; stopped?: () => boolean } = {},
): Promise<PhotoImportSummary> {
  const results: Array<PhotoImportResult | undefined> = new Array(files.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length && !options.stopped?.()) {
      const index = next++;
      const file = files[index] as F;
      let outcome: PhotoImportOutcome;
      try {
        outcome = await put(file);
      } catch (error) {
        outcome = {
          kind: 'failed',
          code: 'INTERNAL',
          message: error instanceof Error ? error.message : String(error),
        };
      }
      results[index] = { fileName: file.fileName, reference: file.reference, outcome };
      done += 1;
      options.onProgress?.(done, files.length);
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? PHOTO_IMPORT_CONCURRENCY);
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return summarizePhotoImport(results.filter((r): r is PhotoImportResult => r !== undefined));
}

/** The files of a summary worth sending again: those that `failed` (the network, the server), in order. */
export function retryablePhotoFiles<F extends { fileName: string }>(files: F[], summary: PhotoImportSummary): F[] {
  const failed = new Set(summary.results.filter((r) => r.outcome.kind === 'failed').map((r) => r.fileName));
  const answered = new Set(summary.results.map((r) => r.fileName));
  // Failed ones, and any never started (the import was stopped before reaching them).
  return files.filter((f) => failed.has(f.fileName) || !answered.has(f.fileName));
}

/**
 * Merges a retry's summary into the one before: each file keeps its latest outcome, in the first
 * summary's order (new files after).
 */
export function mergePhotoImports(before: PhotoImportSummary, retry: PhotoImportSummary): PhotoImportSummary {
  const latest = new Map(retry.results.map((r) => [r.fileName, r]));
  const merged = before.results.map((r) => latest.get(r.fileName) ?? r);
  const known = new Set(before.results.map((r) => r.fileName));
  merged.push(...retry.results.filter((r) => !known.has(r.fileName)));
  return summarizePhotoImport(merged);
}
