import { z } from 'zod';
import { cursorSchema, emailSchema, idSchema, limitSchema, nameSchema } from './common';
import { photoIdSchema } from './images';

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

export const bookingSchema = z.object({
  id: idSchema,
  eventId: idSchema,
  /** The attendee's account, or the organizer/staff who added a walk-in. */
  userId: idSchema,
  ticketTypeId: idSchema,
  quantity: z.number().int(),
  attendee: z.object({ name: z.string(), email: z.string().optional() }),
  status: bookingStatusSchema,
  /** `import`: added by a CSV import of attendees (imports.ts). */
  source: z.enum(['online', 'walkIn', 'import']),
  /** A walk-in accepted at the door beyond capacity: kept, and flagged for the organizer. */
  overCapacity: z.boolean(),
  /** Short human code printed under the QR, for manual lookup at the door. */
  code: z.string(),
  createdAt: z.string(),
  cancelledAt: z.string().nullable(),
  /**
   * The attendee's photo (protocol/src/images.ts), fetched by `GET /bookings/:id/photo`: its id is
   * the stored bytes' hash, so a device that holds this id holds the photo. Null or missing (docs
   * logged before photos existed): no photo.
   */
  photoId: photoIdSchema.nullable().optional(),
  /**
   * When the ticket was ordered in the system it was imported from (a CSV import's order date,
   * UTC ISO 8601). Null or missing: not known (not imported, no order date in the file, or a doc
   * logged before imports kept it).
   */
  orderedAt: z.string().nullable().optional(),
  /**
   * When the attendee's personal data was erased (name replaced by ERASED_ATTENDEE_NAME, email
   * gone); absent when it never was. Optional: the change log keeps older docs as they were written.
   */
  erasedAt: z.string().optional(),
});
export type Booking = z.infer<typeof bookingSchema>;

/**
 * The name an attendee's booking carries once their personal data is erased (on request, or by the
 * event's `eraseAttendeesAfterDays`): the booking keeps its id, code, ticket type, status and
 * check-ins; name, email (and photo) are gone from the server, its change log, its mail records,
 * every device and every export.
 */
export const ERASED_ATTENDEE_NAME = 'Erased attendee';

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
  /** Cancelled bookings, and every booking of a cancelled event, keep their token for reference but are revoked. */
  revoked: z.boolean(),
  qrSvg: z.string(),
  qrPngDataUrl: z.string(),
});
export type TicketResponse = z.infer<typeof ticketResponseSchema>;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 8 Crockford base32 characters (40 bits) from the first 5 bytes: no I/L/O/U, easy to read out at a door. */
export function bookingCodeFromBytes(bytes: Uint8Array): string {
  let bits = 0n;
  for (let i = 0; i < 5; i++) bits = (bits << 8n) | BigInt(bytes[i] ?? 0);
  let code = '';
  for (let shift = 35n; shift >= 0n; shift -= 5n) code += CROCKFORD[Number((bits >> shift) & 31n)];
  return code;
}

const BOOKING_CODE = new RegExp(`^[${CROCKFORD}]{8}$`);

/**
 * The booking code in a text typed or scanned at the door (upper case, as bookingCodeFromBytes
 * makes it), read as Crockford base32 is read aloud: any case, dashes and spaces ignored, O as 0,
 * I and L as 1. Null when the text is no booking code.
 */
export function readBookingCode(text: string): string | null {
  const code = text.replace(/[\s-]/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
  return BOOKING_CODE.test(code) ? code : null;
}

/**
 * The code a booking with this id gets, computed alike by the device that creates a walk-in
 * offline (and shows it to the guest at once) and by the server that stores it. A UUID v4 is
 * random, so its first 40 bits make a code as unguessable as a freshly drawn one. Null when the id
 * is no UUID; then, or on the rare collision within an event, the server draws another code.
 */
export function bookingCodeFor(bookingId: string): string | null {
  const hex = bookingId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) return null;
  const bytes = new Uint8Array(5);
  for (let i = 0; i < 5; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bookingCodeFromBytes(bytes);
}
