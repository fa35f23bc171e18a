import { z } from 'zod';
import { cursorSchema, idSchema, isoDateTimeSchema, limitSchema } from './common';
import { roleSchema } from './roles';

export const EVENT_STATUSES = ['draft', 'published', 'cancelled'] as const;
export const eventStatusSchema = z.enum(EVENT_STATUSES);
export type EventStatus = z.infer<typeof eventStatusSchema>;

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
export const timeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine(isValidTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin' });

const MAX_CAPACITY = 1_000_000;

export const ticketTypeInputSchema = z.strictObject({
  /** Kept when editing so bookings stay attached; new types get a server id. */
  id: idSchema.optional(),
  name: z.string().trim().min(1).max(100),
  /** Minor currency units (cents), so sums never drift through floating point. */
  price: z.number().int().min(0).max(100_000_000),
  quota: z.number().int().min(0).max(MAX_CAPACITY),
  /**
   * Whether a ticket of this type carries the attendee's photo, for the steward to compare with the
   * face at the door. Left out: false.
   */
  requiresPhoto: z.boolean().optional(),
});
export type TicketTypeInput = z.infer<typeof ticketTypeInputSchema>;

export const ticketTypeSchema = z.object({
  id: idSchema,
  name: z.string(),
  price: z.number().int(),
  quota: z.number().int(),
  /** Seats of this type held by confirmed bookings. */
  sold: z.number().int(),
  /** The door shows the attendee's photo for these tickets. Missing (types saved before photos): false. */
  requiresPhoto: z.boolean().optional(),
});
export type TicketType = z.infer<typeof ticketTypeSchema>;

const eventFields = {
  title: z.string().trim().min(1).max(200),
  description: z.string().max(10_000),
  venue: z.string().trim().min(1).max(300),
  startsAt: isoDateTimeSchema,
  endsAt: isoDateTimeSchema,
  timezone: timeZoneSchema,
  capacity: z.number().int().min(0).max(MAX_CAPACITY),
  status: eventStatusSchema,
  ticketTypes: z.array(ticketTypeInputSchema).min(1).max(20),
  /** Whether a ticket holder who left (an exit scan) may enter again; the door refuses it otherwise. */
  allowReentry: z.boolean(),
  /**
   * Whether the event's assigned check-in staff may add walk-ins (its organizer and admins always
   * may); the server refuses theirs otherwise (protocol/src/walk-ins.ts).
   */
  staffWalkIns: z.boolean(),
};

function endsAfterStart(value: { startsAt?: string | undefined; endsAt?: string | undefined }): boolean {
  if (value.startsAt === undefined || value.endsAt === undefined) return true;
  return Date.parse(value.endsAt) > Date.parse(value.startsAt);
}
const endsAfterStartIssue = { message: 'endsAt must be after startsAt', path: ['endsAt'] };

function uniqueTicketTypeNames(value: { ticketTypes?: TicketTypeInput[] | undefined }): boolean {
  if (!value.ticketTypes) return true;
  const names = value.ticketTypes.map((type) => type.name.toLowerCase());
  return new Set(names).size === names.length;
}
const uniqueNamesIssue = { message: 'ticket type names must be unique', path: ['ticketTypes'] };

export const eventCreateSchema = z
  .strictObject({
    ...eventFields,
    description: eventFields.description.default(''),
    status: eventFields.status.default('draft'),
    allowReentry: eventFields.allowReentry.default(true),
    staffWalkIns: eventFields.staffWalkIns.default(false),
  })
  .refine(endsAfterStart, endsAfterStartIssue)
  .refine(uniqueTicketTypeNames, uniqueNamesIssue);
export type EventCreate = z.infer<typeof eventCreateSchema>;
/** What a client sends to create an event: defaulted fields (description, status, allowReentry, staffWalkIns) may be left out. */
export type EventCreateInput = z.input<typeof eventCreateSchema>;

/** Shared by REST PATCH and the `event.update` sync mutation, so both accept exactly the same edits. */
export const eventPatchSchema = z
  .strictObject({
    title: eventFields.title.optional(),
    description: eventFields.description.optional(),
    venue: eventFields.venue.optional(),
    startsAt: eventFields.startsAt.optional(),
    endsAt: eventFields.endsAt.optional(),
    timezone: eventFields.timezone.optional(),
    capacity: eventFields.capacity.optional(),
    status: eventFields.status.optional(),
    ticketTypes: eventFields.ticketTypes.optional(),
    allowReentry: eventFields.allowReentry.optional(),
    staffWalkIns: eventFields.staffWalkIns.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'patch must change something' })
  .refine(endsAfterStart, endsAfterStartIssue)
  .refine(uniqueTicketTypeNames, uniqueNamesIssue);
export type EventPatch = z.infer<typeof eventPatchSchema>;
export const EVENT_PATCH_FIELDS = [
  'title',
  'description',
  'venue',
  'startsAt',
  'endsAt',
  'timezone',
  'capacity',
  'status',
  'ticketTypes',
  'allowReentry',
  'staffWalkIns',
] as const;
export type EventField = (typeof EVENT_PATCH_FIELDS)[number];

export const eventSchema = z.object({
  id: idSchema,
  title: z.string(),
  description: z.string(),
  venue: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  timezone: z.string(),
  capacity: z.number().int(),
  status: eventStatusSchema,
  ticketTypes: z.array(ticketTypeSchema),
  /**
   * Missing (read as allowed) on events logged before the rule existed, by servers that always let
   * people back in: a synced doc's newer fields are optional, since the change log keeps its older
   * docs as they were written.
   */
  allowReentry: z.boolean().optional(),
  /**
   * Missing (read as not allowed) on events logged before the setting existed: staff walk-ins
   * are an opt-in of the organizer's, and the app never offered them to staff before it.
   */
  staffWalkIns: z.boolean().optional(),
  organizerId: idSchema,
  staffIds: z.array(idSchema),
  /** Seats held by confirmed bookings, walk-ins included. */
  bookedCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Event = z.infer<typeof eventSchema>;

export const eventListQuerySchema = z.strictObject({
  limit: limitSchema,
  cursor: cursorSchema.optional(),
  q: z.string().trim().max(200).optional(),
  status: eventStatusSchema.optional(),
  /** Events that end at or after this instant. */
  from: isoDateTimeSchema.optional(),
  /** Events that start before this instant. */
  to: isoDateTimeSchema.optional(),
});
export type EventListQuery = z.infer<typeof eventListQuerySchema>;

/** Someone who can be put on an event's door team: what an organizer needs to pick them, no more. */
export const staffMemberSchema = z.object({ id: idSchema, name: z.string(), email: z.string(), role: roleSchema });
export type StaffMember = z.infer<typeof staffMemberSchema>;
export const eventStaffQuerySchema = z.strictObject({ q: z.string().trim().max(100).optional() });
/** The event's assigned staff, and up to 20 more who could be assigned (matching `q`). */
export const eventStaffSchema = z.object({
  assigned: z.array(staffMemberSchema),
  candidates: z.array(staffMemberSchema),
});
export type EventStaff = z.infer<typeof eventStaffSchema>;

export const staffAssignmentSchema = z.strictObject({
  staffIds: z.array(idSchema).max(500),
});

export const eventStatsSchema = z.object({
  eventId: idSchema,
  capacity: z.number().int(),
  booked: z.number().int(),
  cancelled: z.number().int(),
  /** Live bookings with at least one admission (protocol/src/checkins countAdmissions). */
  checkedIn: z.number().int(),
  /** Of those, inside now (their last scan in HLC order is an entry). */
  inside: z.number().int(),
  /** Bookings someone was admitted on and that were cancelled since: never part of `checkedIn`. */
  admittedThenCancelled: z.number().int().default(0),
  byTicketType: z.array(
    z.object({
      ticketTypeId: idSchema,
      name: z.string(),
      quota: z.number().int(),
      booked: z.number().int(),
      checkedIn: z.number().int(),
    }),
  ),
  byGate: z.array(z.object({ gate: z.string(), entries: z.number().int(), exits: z.number().int() })),
  byHour: z.array(z.object({ hour: z.string(), entries: z.number().int() })),
});
export type EventStats = z.infer<typeof eventStatsSchema>;
