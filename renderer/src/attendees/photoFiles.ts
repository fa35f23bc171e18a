import { IMAGE_MAX_INPUT_BYTES, type PhotoImportOutcome } from '@gatehouse/protocol';
import { invoke } from '../rpc/client';
import { toBase64 } from './fileBytes';

/** One image file of the chosen folder, named by its reference (protocol photo-imports.ts). */
export type PhotoFile = {
  fileName: string;
  reference: string;
  contentType: string;
  file: File;
  /** Known already (a CSV import's photo column): the photo goes to this booking, not by reference. */
  bookingId?: string;
};

/**
 * Uploads one file through the core. A file over the size limit is refused here without reading
 * it; the core answers every other outcome (set, unknown, refused, failed).
 */
export async function putFile(eventId: string, photo: PhotoFile): Promise<PhotoImportOutcome> {
  if (photo.file.size > IMAGE_MAX_INPUT_BYTES) {
    return {
      kind: 'refused',
      code: 'IMAGE_TOO_LARGE',
      message: `The image is larger than ${IMAGE_MAX_INPUT_BYTES / (1024 * 1024)} MB`,
    };
  }
  if (photo.file.size === 0) return { kind: 'refused', code: 'IMAGE_EMPTY', message: 'The image is empty (0 bytes)' };
  const bytes = new Uint8Array(await photo.file.arrayBuffer());
  return invoke('photoImports.put', {
    eventId,
    reference: photo.reference,
    ...(photo.bookingId ? { bookingId: photo.bookingId } : {}),
    contentType: photo.contentType,
    dataBase64: toBase64(bytes),
  });
}

/** The folder input: Chromium and Electron take `webkitdirectory`, which React's types do not name. */
export const FOLDER_ATTRIBUTES = { webkitdirectory: '', directory: '' } as Record<string, string>;
