import { z } from 'zod';
import { cursorSchema, emailSchema, idSchema, limitSchema, nameSchema } from './common';

export const BOOKING_STATUSES = ['confirmed', 'cancelled'] as const;
export const bookingStatusSchema = z.enum(BOOKING_STATUSES);
export type BookingStatus = z.infer<typeof bookingStatusSchema>;

export const attendeeSchema = z.strictObject({
  name: nameSchema,
  email: emailSchema.optional(),
});
export type Attendee = z.infer<typeof attendeeSchema>;

export const bookRequestSchema = z.strictObject({
  ticketTypeId: idSchema,
  quantity: z.number().int().min(1).max(10),
  /** Defaults to the signed-in user's name and email. */
  attendee: attendeeSchema.optional(),
});
export type BookRequest = z.infer<typeof bookRequestSchema>;

export const walkInRequestSchema = z.strictObject({
  ticketTypeId: idSchema,
  attendee: attendeeSchema,
});
export type WalkInRequest = z.infer<typeof walkInRequestSchema>;

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const idempotencyKeySchema = z
  .string()
  .min(8)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/);

export const bookingSchema = z.object({
  id: idSchema,
  eventId: idSchema,
  /** The attendee's account, or the organizer/staff who added a walk-in. */
  userId: idSchema,
  ticketTypeId: idSchema,
  quantity: z.number().int(),
  attendee: z.object({ name: z.string(), email: z.string().optional() }),
  status: bookingStatusSchema,
  source: z.enum(['online', 'walkIn']),
  /** A walk-in accepted at the door beyond capacity: kept, and flagged for the organizer. */
  overCapacity: z.boolean(),
  /** Short human code printed under the QR, for manual lookup at the door. */
  code: z.string(),
  createdAt: z.string(),
  cancelledAt: z.string().nullable(),
});
export type Booking = z.infer<typeof bookingSchema>;

export const bookingListQuerySchema = z.strictObject({
  limit: limitSchema,
  cursor: cursorSchema.optional(),
  q: z.string().trim().max(200).optional(),
  status: bookingStatusSchema.optional(),
});
export type BookingListQuery = z.infer<typeof bookingListQuerySchema>;

export const ticketResponseSchema = z.object({
  bookingId: idSchema,
  token: z.string(),
  /** Cancelled bookings keep their token for reference but are revoked. */
  revoked: z.boolean(),
  qrSvg: z.string(),
  qrPngDataUrl: z.string(),
});
export type TicketResponse = z.infer<typeof ticketResponseSchema>;
