import {
  type AttendeePhotoAnswer,
  foldBookingCode,
  GatehouseError,
  IMAGE_CACHE_MAX_AGE_SECONDS,
  IMAGE_INPUT_MEDIA_TYPES,
  type Photo,
  photoEtag,
} from '@gatehouse/protocol';
import type { BookingService } from '../bookings/service';
import { canManageRow, type EventService, viewerOf } from '../events/service';
import type { BytesAnswer, RawBodyConfig } from '../http/raw-body';
import { bookingPhotoBlobId, userPhotoBlobId } from '../store/blobs';
import type { Store } from '../store/port';
import type { UserRow } from '../store/rows';
import { processImage, tooLarge } from './pipeline';

/** The refusals of an upload's body before the pipeline sees it (http/raw-body.ts). */
export const IMAGE_BODY_ERRORS: Pick<RawBodyConfig, 'tooLarge' | 'wrongType'> = {
  tooLarge,
  wrongType: () =>
    new GatehouseError(
      'IMAGE_TYPE_UNSUPPORTED',
      `Send the image's bytes with Content-Type ${IMAGE_INPUT_MEDIA_TYPES.join(', ')} (or application/octet-stream)`,
    ),
};

const CACHE_CONTROL = `private, max-age=${IMAGE_CACHE_MAX_AGE_SECONDS}`;

function notFound(what: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', `${what} not found`);
}

/**
 * Profile and attendee photos (issue #20 parts 3–4; protocol/src/images.ts, routes/photos.ts).
 * Every upload goes through the pipeline (pipeline.ts); the blob is written first and the row's
 * photoId second, so a row never names a photo that is not stored (a crash in between leaves a blob
 * the row does not name yet, which the next upload replaces), and racing uploads settle on the
 * blob stored last (storedPhotoId). Who may do what is decided from the
 * rows each call reads, as the route table says.
 */
export class PhotoService {
  constructor(
    private readonly store: Store,
    private readonly bookings: BookingService,
    private readonly events: EventService,
  ) {}

  /** Sets the caller's profile photo; their devices learn the new photoId through the user bucket. */
  async putMine(user: UserRow, bytes: Buffer | undefined): Promise<Photo> {
    const image = await processImage(bytes ?? Buffer.alloc(0));
    const at = new Date().toISOString();
    const blobId = userPhotoBlobId(user.id);
    await this.store.blobs.put({ id: blobId, contentType: image.contentType, bytes: image.bytes, at });
    if (!(await this.store.users.update(user.id, { photoId: image.photoId }, at))) throw notFound('User');
    const stored = await this.storedPhotoId(blobId);
    if (stored !== image.photoId) await this.store.users.update(user.id, { photoId: stored }, at);
    return this.photoOf(image);
  }

  async deleteMine(user: UserRow): Promise<void> {
    if (user.photoId) await this.store.users.update(user.id, { photoId: null }, new Date().toISOString());
    await this.store.blobs.delete(userPhotoBlobId(user.id));
  }

  /**
   * A user's photo, for themselves, admins, and organizers or staff who serve an event with them
   * (an event whose bucket both receive: its organizer and its assigned staff). NOT_FOUND otherwise.
   */
  async userPhoto(viewer: UserRow, userId: string): Promise<BytesAnswer> {
    if (!(await this.maySeeUser(viewer, userId))) throw notFound('Photo');
    const target = viewer.id === userId ? viewer : await this.store.users.findById(userId);
    if (!target?.photoId) throw notFound('Photo');
    return this.answer(userPhotoBlobId(userId));
  }

  private async maySeeUser(viewer: UserRow, userId: string): Promise<boolean> {
    if (viewer.id === userId || viewer.role === 'admin') return true;
    if (viewer.role === 'attendee') return false;
    const target = await this.store.users.findById(userId);
    if (!target) return false;
    const [mine, theirs] = await Promise.all([
      this.store.events.accessibleIds(viewerOf(viewer)),
      this.store.events.accessibleIds(viewerOf(target)),
    ]);
    const shared = new Set(mine);
    return theirs.some((id) => shared.has(id));
  }

  /** Sets an attendee's photo: the event's organizer or an admin (FORBIDDEN for its staff). */
  async putBooking(viewer: UserRow, bookingId: string, bytes: Buffer | undefined): Promise<Photo> {
    await this.assertCanManage(viewer, bookingId);
    return this.storeBookingPhoto(bookingId, bytes);
  }

  /**
   * Sets the photo of the event's booking whose door code (folded to upper case) or, failing that,
   * external id is `reference` (a bulk import names files after them; photo-imports.ts). The
   * event's organizer or an admin: FORBIDDEN for its staff, NOT_FOUND for whoever cannot see the
   * event, PHOTO_REFERENCE_UNKNOWN when no booking of this event has it. The reference is looked up
   * before the image is decoded, so an unknown name costs no image work.
   */
  async putByReference(
    viewer: UserRow,
    eventId: string,
    reference: string,
    bytes: Buffer | undefined,
  ): Promise<AttendeePhotoAnswer> {
    await this.events.assertCanManage(viewer, eventId);
    const booking =
      (await this.store.bookings.findByCode(eventId, foldBookingCode(reference))) ??
      (await this.store.bookings.findByExternalId(eventId, reference));
    if (!booking) {
      throw new GatehouseError(
        'PHOTO_REFERENCE_UNKNOWN',
        `No booking of this event has the code or external id "${reference}"`,
      );
    }
    return { bookingId: booking.id, photo: await this.storeBookingPhoto(booking.id, bytes) };
  }

  private async storeBookingPhoto(bookingId: string, bytes: Buffer | undefined): Promise<Photo> {
    const image = await processImage(bytes ?? Buffer.alloc(0));
    const blobId = bookingPhotoBlobId(bookingId);
    await this.store.blobs.put({
      id: blobId,
      contentType: image.contentType,
      bytes: image.bytes,
      at: new Date().toISOString(),
    });
    if (!(await this.store.bookings.setPhoto(bookingId, image.photoId))) throw notFound('Booking');
    const stored = await this.storedPhotoId(blobId);
    if (stored !== image.photoId) await this.store.bookings.setPhoto(bookingId, stored);
    return this.photoOf(image);
  }

  async deleteBooking(viewer: UserRow, bookingId: string): Promise<void> {
    await this.assertCanManage(viewer, bookingId);
    await this.store.bookings.setPhoto(bookingId, null);
    await this.store.blobs.delete(bookingPhotoBlobId(bookingId));
  }

  /** An attendee's photo: the event's organizer, its assigned staff, admins, and the booking's own attendee. */
  async bookingPhoto(viewer: UserRow, bookingId: string): Promise<BytesAnswer> {
    const row = await this.store.bookings.findById(bookingId);
    if (!row || !(await this.bookings.accessOf(viewer, row))) throw notFound('Booking');
    if (!row.photoId) throw notFound('Photo');
    return this.answer(bookingPhotoBlobId(bookingId));
  }

  private async assertCanManage(viewer: UserRow, bookingId: string): Promise<void> {
    const row = await this.store.bookings.findById(bookingId);
    if (!row) throw notFound('Booking');
    // The event's organizer manages it even where the booking is their own (BookingService calls that `owner`).
    const event = await this.store.events.findById(row.eventId);
    if (event && canManageRow(viewer, event)) return;
    if (!(await this.bookings.accessOf(viewer, row))) throw notFound('Booking');
    throw new GatehouseError('FORBIDDEN', "Only the event's organizer or an admin may change an attendee's photo");
  }

  /**
   * The photo id of what the blob holds now. Two uploads racing can store their blobs in one order
   * and set the row in the other; each looks again after setting the row and, when the blob is
   * another upload's, sets the row to that one. The last look sees the last blob stored, so the row
   * ends up naming the photo that is stored.
   */
  private async storedPhotoId(blobId: string): Promise<string | null> {
    return (await this.store.blobs.get(blobId))?.row.sha256 ?? null;
  }

  private async answer(blobId: string): Promise<BytesAnswer> {
    const blob = await this.store.blobs.get(blobId);
    if (!blob) throw notFound('Photo');
    return {
      bytes: blob.bytes,
      contentType: blob.row.contentType,
      etag: photoEtag(blob.row.sha256),
      cacheControl: CACHE_CONTROL,
    };
  }

  private photoOf(image: Awaited<ReturnType<typeof processImage>>): Photo {
    return {
      photoId: image.photoId,
      contentType: image.contentType,
      width: image.width,
      height: image.height,
      byteLength: image.bytes.byteLength,
    };
  }
}
