import {
  GatehouseError,
  IMAGE_MAX_INPUT_BYTES,
  IMAGE_REFUSAL_CODES,
  type PhotoImportOutcome,
  type PhotoImportPreview,
  type PhotoImportPut,
  routes,
} from '@gatehouse/protocol';
import type { Account } from '../account';

/**
 * The device's side of a bulk photo import (protocol/src/photo-imports.ts). The renderer reads a
 * folder, names each image by its reference and uploads two at a time through `photoImports.put`;
 * each upload goes to the server as it is (online only: a folder of photos is megabytes, never
 * queued in the outbox) and comes back as an outcome the summary lists.
 */

/**
 * The references no booking of the event on this device has as its code (in any case).
 * External ids do not travel to devices, so such a reference may still name a booking: the server
 * decides when the file is uploaded.
 */
export function previewPhotoImport(account: Account, eventId: string, references: string[]): PhotoImportPreview {
  const known = account.store.db.prepare(
    'SELECT 1 AS found FROM bookings WHERE event_id = ? AND code = ? AND doc IS NOT NULL',
  );
  // The device keeps codes lower case in its `code` column (db/rows.ts), the search's folding.
  return { notKnownHere: references.filter((reference) => !known.get(eventId, reference.trim().toLowerCase())) };
}

/**
 * Uploads one file's bytes for its reference (or to `bookingId` when given: a CSV import's photo
 * column) and tells what became of it: `set`, `unknown`
 * (PHOTO_REFERENCE_UNKNOWN), `refused` with the image's code (a file over the size limit is refused
 * here without sending it), or `failed` with the code of anything else (OFFLINE when the server
 * cannot be reached, UNAUTHENTICATED when signed in offline, FORBIDDEN, …). After a photo is set the
 * core pulls, so the local booking names it and the door shows it.
 */
export async function putPhotoByReference(account: Account, input: PhotoImportPut): Promise<PhotoImportOutcome> {
  const bytes = Buffer.from(input.dataBase64, 'base64');
  if (bytes.byteLength > IMAGE_MAX_INPUT_BYTES) {
    return {
      kind: 'refused',
      code: 'IMAGE_TOO_LARGE',
      message: `The image is larger than ${IMAGE_MAX_INPUT_BYTES / (1024 * 1024)} MB`,
    };
  }
  try {
    const open = account.online();
    const answer = input.bookingId
      ? {
          bookingId: input.bookingId,
          photo: await open.api.sendBytes(
            routes['photos.putBooking'],
            { params: { id: input.bookingId } },
            bytes,
            input.contentType,
          ),
        }
      : await open.api.sendBytes(
          routes['photos.putAttendeeByReference'],
          { params: { id: input.eventId, reference: input.reference } },
          bytes,
          input.contentType,
        );
    open.engine.requestPull();
    return { kind: 'set', bookingId: answer.bookingId, photoId: answer.photo.photoId };
  } catch (error) {
    if (!(error instanceof GatehouseError)) {
      return { kind: 'failed', code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
    }
    if (error.code === 'PHOTO_REFERENCE_UNKNOWN') return { kind: 'unknown' };
    if (IMAGE_REFUSAL_CODES.includes(error.code)) return { kind: 'refused', code: error.code, message: error.message };
    return { kind: 'failed', code: error.code, message: error.message };
  }
}
