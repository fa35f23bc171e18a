import { z } from 'zod';
import { idSchema } from '../common';
import { photoDataSchema, photoSchema, photoUploadSchema } from '../images';
import { nothing, ok } from './helpers';

/** The photos methods of the RPC table (rpc/index.ts `rpcMethods`). */
export const photosRpc = {
  // photos (online only: OFFLINE when the server cannot be reached; protocol/src/images.ts)
  /** Uploads the signed-in user's profile photo; the server answers the stored (re-encoded) image. */
  'photos.setMine': { params: photoUploadSchema, result: photoSchema },
  'photos.removeMine': { params: nothing, result: ok },
  /** The signed-in user's profile photo, fetched from the server; null when they have none. */
  'photos.mine': { params: nothing, result: photoDataSchema },
  /** Sets an attendee's photo on a booking (the event's organizer or an admin). */
  'photos.setBooking': { params: photoUploadSchema.extend({ bookingId: idSchema }), result: photoSchema },
  'photos.removeBooking': { params: z.strictObject({ bookingId: idSchema }), result: ok },
  /** A booking's attendee photo, fetched from the server; null when it has none. */
  'photos.booking': { params: z.strictObject({ bookingId: idSchema }), result: photoDataSchema },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;
