import { describe, expect, it } from 'vitest';
import {
  foldBookingCode,
  mergePhotoImports,
  type PhotoImportOutcome,
  photoFileName,
  retryablePhotoFiles,
  runPhotoImport,
} from '../src/photo-imports';

describe('photo file names', () => {
  it('take the name without extension, trimmed, from the last part of a path; any case of extension', () => {
    expect(photoFileName('Gala/sub/ K7Q2M9XA .JPG')).toEqual({
      kind: 'image',
      fileName: ' K7Q2M9XA .JPG',
      reference: 'K7Q2M9XA',
      contentType: 'image/jpeg',
    });
    expect(photoFileName('C:\\photos\\12345678-1.png')).toMatchObject({
      reference: '12345678-1',
      contentType: 'image/png',
    });
    expect(photoFileName('anna.smith.webp')).toMatchObject({ reference: 'anna.smith', contentType: 'image/webp' });
    // Formats the server refuses are still images: it says why.
    expect(photoFileName('old.gif')).toMatchObject({ kind: 'image', contentType: 'image/gif' });
  });

  it('skip non-images, hidden files, resource forks and names without a stem', () => {
    for (const name of ['notes.txt', '.DS_Store', 'Thumbs.db', '._anna.jpg', 'README', '.jpg', '   .jpg']) {
      expect(photoFileName(name).kind, name).toBe('skipped');
    }
  });

  it('fold a code to upper case', () => {
    expect(foldBookingCode(' k7q2m9xa ')).toBe('K7Q2M9XA');
  });
});

describe('runPhotoImport', () => {
  const files = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ fileName: `${name}.jpg`, reference: name }));

  it('keeps at most two uploads in flight, reports progress per file, and sums up in the files’ order', async () => {
    let inFlight = 0;
    let most = 0;
    const outcomes: Record<string, PhotoImportOutcome> = {
      a: { kind: 'set', bookingId: 'b-a', photoId: 'p' },
      b: { kind: 'unknown' },
      c: { kind: 'refused', code: 'IMAGE_INVALID', message: 'bad' },
      d: { kind: 'failed', code: 'OFFLINE', message: 'down' },
    };
    const progress: number[] = [];
    const summary = await runPhotoImport(
      files,
      async (file) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, file.reference === 'a' ? 20 : 1));
        inFlight -= 1;
        if (file.reference === 'e') throw new Error('boom');
        return outcomes[file.reference]!;
      },
      { onProgress: (done) => progress.push(done) },
    );
    expect(most).toBe(2);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(summary.results.map((r) => r.fileName)).toEqual(files.map((f) => f.fileName));
    expect(summary).toMatchObject({ set: 1, unknown: 1, refused: 1, failed: 2 });
    expect(summary.results[4]!.outcome).toEqual({ kind: 'failed', code: 'INTERNAL', message: 'boom' });

    const again = retryablePhotoFiles(files, summary);
    expect(again.map((f) => f.reference)).toEqual(['d', 'e']);
    const retried = await runPhotoImport(again, async () => ({ kind: 'set', bookingId: 'x', photoId: 'p' }));
    const merged = mergePhotoImports(summary, retried);
    expect(merged).toMatchObject({ set: 3, unknown: 1, refused: 1, failed: 0 });
    expect(merged.results.map((r) => r.fileName)).toEqual(files.map((f) => f.fileName));
  });

  it('stops starting files once stopped; those never started are left for a retry', async () => {
    let started = 0;
    const summary = await runPhotoImport(
      files,
      async () => {
        started += 1;
        return { kind: 'unknown' };
      },
      { concurrency: 1, stopped: () => started >= 2 },
    );
    expect(summary.results).toHaveLength(2);
    expect(retryablePhotoFiles(files, summary).map((f) => f.reference)).toEqual(['c', 'd', 'e']);
  });
});
