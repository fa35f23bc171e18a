import { z } from 'zod';
import { okSchema } from '../common';
import { IMAGE_INPUT_MEDIA_TYPES, IMAGE_MAX_INPUT_BYTES, IMAGE_OUTPUT_MEDIA_TYPE, photoSchema } from '../images';
import { attendeePhotoAnswerSchema, attendeePhotoParamsSchema } from '../photo-imports';
import { defineRoute } from '../routing';
import { idParamsSchema } from '../users';

/**
 * The upload's body: the image's bytes, labelled with any of these types. `application/octet-stream`
 * is taken too (a client that does not know what it holds); the server reads the real type from the
 * bytes either way (protocol/src/images.ts).
 */
const upload = {
  mediaTypes: [...IMAGE_INPUT_MEDIA_TYPES, 'application/octet-stream'],
  maxBytes: IMAGE_MAX_INPUT_BYTES,
} as const;
const image = { mediaTypes: [IMAGE_OUTPUT_MEDIA_TYPE] } as const;
/** Documents the binary answer in OpenAPI; the bytes are never parsed as JSON. */
const imageBytesSchema = z.unknown().describe(`${IMAGE_OUTPUT_MEDIA_TYPE} bytes`);

/**
 * Profile photos and attendee photos (issue #20 parts 3–4). Uploads take the raw image bytes
 * (JPEG, PNG or WebP, at most 5 MiB) and answer the stored photo; the server re-encodes every image
 * (images.ts). Reads answer the bytes with ETag (the photo id) and `Cache-Control: private`, and 304
 * on a matching If-None-Match.
 *
 * Who may: a user puts and removes their own photo; they, admins, and organizers or staff who serve
 * an event with them (its organizer or assigned staff, both) read it. A booking's photo is put and
 * removed by the event's organizer and admins (FORBIDDEN for its staff), and read by them, the
 * event's assigned staff and the booking's own attendee. Anyone else gets NOT_FOUND, as if there
 * were nothing there.
 */
export const photosRoutes = {
  'photos.putMine': defineRoute({
    method: 'PUT',
    path: '/users/me/photo',
    tags: ['photos'],
    description:
      "Sets the caller's profile photo from the image bytes in the body (JPEG, PNG or WebP, at most 5 MiB; " +
      'rotated upright, metadata stripped, fitted within 512×512 and stored as WebP). Replaces any earlier one.',
    access: 'signedIn',
    rawBody: upload,
    responses: { 200: photoSchema },
  }),
  'photos.deleteMine': defineRoute({
    method: 'DELETE',
    path: '/users/me/photo',
    tags: ['photos'],
    description: "Removes the caller's profile photo (ok when there was none).",
    access: 'signedIn',
    responses: { 200: okSchema },
  }),
  'photos.user': defineRoute({
    method: 'GET',
    path: '/users/:id/photo',
    tags: ['photos'],
    description:
      "A user's profile photo (WebP bytes), for themselves, admins, and organizers or staff who serve an event " +
      'with them (as its organizer or assigned staff). ETag is the photo id; If-None-Match answers 304. ' +
      'NOT_FOUND when there is none or the caller may not see it.',
    access: 'signedIn',
    params: idParamsSchema,
    bytesAnswer: image,
    responses: { 200: imageBytesSchema },
  }),
  'photos.putBooking': defineRoute({
    method: 'PUT',
    path: '/bookings/:id/photo',
    tags: ['photos'],
    description:
      "Sets the attendee's photo on a booking, for the event's organizer and admins (FORBIDDEN for its staff; same " +
      "image rules as the profile photo). The booking's row changes (its photoId), so devices serving the event " +
      'learn of it.',
    access: 'signedIn',
    params: idParamsSchema,
    rawBody: upload,
    responses: { 200: photoSchema },
  }),
  'photos.putAttendeeByReference': defineRoute({
    method: 'PUT',
    path: '/events/:id/attendee-photos/:reference',
    tags: ['photos'],
    description:
      "Sets the photo of the event's booking named by `reference` — its door code (any case) or its external id " +
      "(the ticket shop's id a CSV import kept) — for bulk imports of a folder of photos named after them. For the " +
      "event's organizer and admins (FORBIDDEN for its staff); PHOTO_REFERENCE_UNKNOWN (404) when no booking of " +
      'this event has it (a code of another event included); same image rules and codes as PUT /bookings/:id/photo. ' +
      'Repeatable: the same image gives the same photo id. Answers the booking id and the stored photo.',
    access: 'signedIn',
    params: attendeePhotoParamsSchema,
    rawBody: upload,
    responses: { 200: attendeePhotoAnswerSchema },
  }),
  'photos.deleteBooking': defineRoute({
    method: 'DELETE',
    path: '/bookings/:id/photo',
    tags: ['photos'],
    description: "Removes the attendee's photo from a booking (organizer, admins; ok when there was none).",
    access: 'signedIn',
    params: idParamsSchema,
    responses: { 200: okSchema },
  }),
  'photos.booking': defineRoute({
    method: 'GET',
    path: '/bookings/:id/photo',
    tags: ['photos'],
    description:
      "The attendee's photo on a booking (WebP bytes), for the event's organizer, its assigned staff, admins and " +
      "the booking's own attendee. ETag is the photo id; If-None-Match answers 304. NOT_FOUND when there is " +
      'none or the caller may not see it.',
    access: 'signedIn',
    params: idParamsSchema,
    bytesAnswer: image,
    responses: { 200: imageBytesSchema },
  }),
} as const;
