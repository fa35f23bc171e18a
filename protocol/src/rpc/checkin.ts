import { z } from 'zod';
import { idSchema } from '../common';
import { photoDataSchema } from '../images';
import { checkinDirectionSchema, checkinSchema, gateSchema, refusalSchema } from '../sync';
import { scanResultSchema, bookingRowSchema } from './shapes';

/** The checkin methods of the RPC table (rpc/index.ts `rpcMethods`). */
export const checkinRpc = {
  // check-in
  'checkin.scan': {
    params: z.strictObject({
      eventId: idSchema,
      gate: gateSchema,
      scan: z.string().max(20_000),
      /** The gate's mode: entry (the default) or exit. */
      direction: checkinDirectionSchema.optional(),
    }),
    result: scanResultSchema,
  },
  /** The attendee's photo as this device holds it (never fetched for the asking); null when not here. */
  'checkin.photo': { params: z.strictObject({ bookingId: idSchema }), result: photoDataSchema },
  'checkin.manual': {
    params: z.strictObject({
      eventId: idSchema,
      gate: gateSchema,
      bookingId: idSchema,
      direction: checkinDirectionSchema.optional(),
    }),
    result: scanResultSchema,
  },
  /**
   * Undoes an admission (a `checkin.void`): this device's own within VOID_WINDOW_MS, or any for the
   * event's organizer or an admin. FORBIDDEN / CONFLICT with the rule's words otherwise.
   */
  'checkin.undo': {
    params: z.strictObject({ eventId: idSchema, checkinId: idSchema, gate: gateSchema }),
    result: checkinSchema,
  },
  /** Refused scans of an event (every door's, as synced), newest first: the door's audit. */
  'checkin.refusals': {
    params: z.strictObject({ eventId: idSchema, limit: z.number().int().min(1).max(500) }),
    result: z.array(refusalSchema.extend({ attendeeName: z.string() })),
  },
  'checkin.search': {
    params: z.strictObject({
      eventId: idSchema,
      q: z.string().min(1).max(200),
      limit: z.number().int().min(1).max(50),
    }),
    result: z.array(bookingRowSchema),
  },
  'checkin.recent': {
    params: z.strictObject({ eventId: idSchema, gate: gateSchema.optional(), limit: z.number().int().min(1).max(100) }),
    result: z.array(checkinSchema.extend({ attendeeName: z.string(), verdict: z.string() })),
  },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;
