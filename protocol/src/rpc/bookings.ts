import { z } from 'zod';
import { attendeeSchema, bookingSchema } from '../bookings';
import { idSchema } from '../common';
import { EXPORT_KINDS } from '../exports';
import { bookingRowSchema } from './shapes';

/** The bookings methods of the RPC table (rpc/index.ts `rpcMethods`). */
export const bookingsRpc = {
  // bookings
  'bookings.list': {
    params: z.strictObject({
      eventId: idSchema,
      q: z.string().max(200).optional(),
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(500),
    }),
    result: z.object({ rows: z.array(bookingRowSchema), total: z.number().int() }),
  },
  'bookings.walkIn': {
    params: z.strictObject({ eventId: idSchema, ticketTypeId: idSchema, attendee: attendeeSchema }),
    result: bookingSchema,
  },
  'bookings.cancel': { params: z.strictObject({ bookingId: idSchema }), result: bookingSchema },
  /**
   * Online: erases the attendee's personal data on the server (`POST /bookings/:id/erasure`; the
   * organizer of the event or an admin), then syncs, so this device holds the erased version too.
   */
  'bookings.erase': { params: z.strictObject({ bookingId: idSchema }), result: bookingSchema },
  /**
   * Online: downloads one of the event's CSV exports (protocol/src/exports.ts; organizer or admin)
   * into the file chosen in Electron's save dialog (`saveTo`) or else the exports folder of the
   * data folder, as it streams; the file appears under its final
   * name only once complete. Answers where it was saved. OFFLINE when the server cannot be reached
   * — an export must be complete, so it is never made from this device's copy.
   */
  'exports.save': {
    params: z.strictObject({
      eventId: idSchema,
      kind: z.enum(EXPORT_KINDS),
      /**
       * Electron: the token of the file the user chose in the save dialog (protocol/src/shell.ts
       * ChosenSaveFile); the export is written there instead (SAVE_TARGET_UNKNOWN for a token main
       * did not grant, or one used already). Absent: into the data folder's exports folder.
       */
      saveTo: z.uuid().optional(),
    }),
    result: z.object({ path: z.string(), fileName: z.string(), bytes: z.number().int() }),
  },
  /** Online: fetches the signed token and QR from the server (devices never hold private keys). */
  'bookings.ticket': {
    params: z.strictObject({ bookingId: idSchema }),
    result: z.object({ token: z.string(), qrSvg: z.string(), revoked: z.boolean() }),
  },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;
