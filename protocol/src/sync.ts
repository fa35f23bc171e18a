import { z } from 'zod';
import { attendeeSchema, bookingSchema } from './bookings';
import { idSchema, isoDateTimeSchema, uuidSchema } from './common';
import { eventPatchSchema, eventSchema } from './events';
import { hlcSchemaPattern } from './hlc';
import { ticketPublicKeySchema } from './tickets';
import { userSchema } from './auth';

export const DEVICE_ID_HEADER = 'x-device-id';
export const deviceIdSchema = uuidSchema;

/**
 * Upper bounds that keep one request's work bounded; a client splits larger outboxes. A device's
 * initial sync asks for larger pages than its later pulls (electron/core `initialPullLimit`): its
 * rows are stored the cheap way, so the page size is its own to choose, up to this.
 */
export const MAX_PUSH_BATCH = 2000;
/**
 * The push limit of servers before MAX_PUSH_BATCH grew to 2,000: a device that is answered 413
 * BATCH_TOO_LARGE sends at most this many from then on.
 */
export const LEGACY_MAX_PUSH_BATCH = 500;
/**
 * Answer header: the most mutations this server takes in one push (its MAX_PUSH_BATCH), on every
 * answer beside the protocol range. A device sizes its first push by it instead of starting at
 * LEGACY_MAX_PUSH_BATCH, so a backlog goes in full batches from the first round trip. A server from
 * before the header sends none: the device starts at the old limit, as before.
 */
export const MAX_PUSH_BATCH_HEADER = 'x-gatehouse-max-push-batch';

/** The limit an answer states (MAX_PUSH_BATCH_HEADER); null when it states none or nothing readable. */
export function parseMaxPushBatch(header: string | null): number | null {
  if (header === null || !/^[1-9][0-9]{0,6}$/.test(header.trim())) return null;
  return Number(header.trim());
}
export const MAX_PULL_LIMIT = 5000;
export const DEFAULT_PULL_LIMIT = 500;

export const hlcSchema = z.string().regex(hlcSchemaPattern, 'must be a hybrid logical clock timestamp');

/**
 * How far a pushed HLC may lead the server's wall clock (ms). Further ahead, the server stores its
 * own HLC for the mutation and answers it: one device with a fast clock cannot drag the server's
 * clock, and through it every other device's, into the future (docs/ARCHITECTURE.md §3, Clocks).
 * A minute covers clock error between corrections; devices stamp from server-corrected time.
 */
export const MAX_HLC_LEAD_MS = 60_000;

export const checkinDirectionSchema = z.enum(['in', 'out']);
export type CheckinDirection = z.infer<typeof checkinDirectionSchema>;
/**
 * What a stored scan row is: an entry, an exit, or the undoing of an admission (`void`, naming it
 * in `voids`). Void rows exist from protocol version 2; a version-1 device is never sent one.
 */
export const checkinKindSchema = z.enum(['in', 'out', 'void']);
export type CheckinKind = z.infer<typeof checkinKindSchema>;
export const gateSchema = z.string().trim().min(1).max(64);

export const checkinRecordArgsSchema = z.strictObject({
  id: uuidSchema,
  eventId: idSchema,
  bookingId: idSchema,
  gate: gateSchema,
  direction: checkinDirectionSchema,
  scannedAt: isoDateTimeSchema,
});
/** Undoes an admission (append-only: a void row naming it); see protocol/src/checkins canVoid. */
export const checkinVoidArgsSchema = z.strictObject({
  /** The void row's own id. */
  id: uuidSchema,
  eventId: idSchema,
  /** The admission undone, and its booking (the server checks they belong together). */
  checkinId: idSchema,
  bookingId: idSchema,
  /** Where and when the undo was made. */
  gate: gateSchema,
  voidedAt: isoDateTimeSchema,
});
/**
 * Why a scan was refused, as the verdict's reason code (protocol/src/checkins decideScan): kept for
 * the organizer's audit of each door, never an admission.
 */
export const REFUSAL_REASONS = [
  'alreadyInside',
  'reentryNotAllowed',
  'bookingCancelled',
  'eventCancelled',
  'wrongEvent',
  'format',
  'unknownKey',
  'signature',
  'notYetValid',
  'expired',
  'unknownBooking',
] as const;
export const refusalReasonSchema = z.enum(REFUSAL_REASONS);
export type RefusalReason = z.infer<typeof refusalReasonSchema>;

/** A refused scan, recorded by the device that refused it (protocol version 2). */
export const scanRefuseArgsSchema = z.strictObject({
  id: uuidSchema,
  eventId: idSchema,
  gate: gateSchema,
  direction: checkinDirectionSchema,
  reason: refusalReasonSchema,
  /** The booking the ticket named, when it named one (not for a scan of garbage). */
  bookingId: idSchema.nullable(),
  /** For a ticket of another event: that event. */
  ticketEventId: idSchema.nullable(),
  scannedAt: isoDateTimeSchema,
});
export const bookingWalkInArgsSchema = z.strictObject({
  bookingId: uuidSchema,
  eventId: idSchema,
  ticketTypeId: idSchema,
  attendee: attendeeSchema,
});
export const bookingCancelArgsSchema = z.strictObject({ bookingId: idSchema });
/** Longest note a person may leave with an acknowledgement (characters). */
export const MAX_ACKNOWLEDGEMENT_NOTE = 500;
/**
 * Someone has seen to an alert (protocol version 3): at the door (offline too) or at the
 * organizer's desk. The first acknowledgement by HLC stands; see `alertAcknowledgementSchema`.
 */
export const alertAcknowledgeArgsSchema = z.strictObject({
  /** The acknowledgement's own id (a UUID the device picks): which acknowledgement stood is told by it. */
  id: uuidSchema,
  alertId: idSchema,
  /** The alert's event: the server checks the alert is of it (else ALERT_NOT_FOUND) and the person's access to it. */
  eventId: idSchema,
  /** When it was acknowledged, by the device's server-corrected clock. */
  acknowledgedAt: isoDateTimeSchema,
  note: z.string().trim().min(1).max(MAX_ACKNOWLEDGEMENT_NOTE).optional(),
});
export const eventUpdateArgsSchema = z.strictObject({ eventId: idSchema, patch: eventPatchSchema });

/** One schema per mutation name; server and device validate with the same table. */
export const mutationArgsSchemas = {
  'checkin.record': checkinRecordArgsSchema,
  'checkin.void': checkinVoidArgsSchema,
  'scan.refuse': scanRefuseArgsSchema,
  'booking.walkIn': bookingWalkInArgsSchema,
  'booking.cancel': bookingCancelArgsSchema,
  'event.update': eventUpdateArgsSchema,
  'alert.acknowledge': alertAcknowledgeArgsSchema,
} as const;
export type MutationName = keyof typeof mutationArgsSchemas;
export const MUTATION_NAMES = Object.keys(mutationArgsSchemas) as MutationName[];
export type MutationArgs<N extends MutationName> = z.infer<(typeof mutationArgsSchemas)[N]>;
export type Mutation = {
  [N in MutationName]: { id: string; name: N; args: MutationArgs<N>; hlc: string };
}[MutationName];

export function isMutationName(name: string): name is MutationName {
  return Object.hasOwn(mutationArgsSchemas, name);
}

/**
 * The envelope is validated as a whole; `name` and `args` are validated per mutation so that one
 * bad mutation is rejected on its own and never blocks the rest of the batch.
 */
export const pushMutationEnvelopeSchema = z.strictObject({
  id: uuidSchema,
  name: z.string().min(1).max(64),
  args: z.unknown(),
  hlc: hlcSchema,
});
export type PushMutationEnvelope = z.infer<typeof pushMutationEnvelopeSchema>;

export const pushRequestSchema = z.strictObject({
  mutations: z.array(pushMutationEnvelopeSchema).min(1).max(MAX_PUSH_BATCH),
});
export type PushRequest = z.infer<typeof pushRequestSchema>;

export const mutationResultSchema = z.object({
  id: uuidSchema,
  status: z.enum(['applied', 'rejected']),
  code: z.string().optional(),
  message: z.string().optional(),
  /**
   * The HLC the server stored instead of the pushed one: a device clock further ahead of the
   * server's than MAX_HLC_LEAD_MS is not followed (the server stamps the mutation itself). The
   * device adopts it for its copy, so device and server order the scan the same.
   */
  hlc: hlcSchema.optional(),
  /** Applied, but every field it set had been written by a later HLC already: last writer wins, and it lost. */
  superseded: z.literal(true).optional(),
});
export type MutationResult = z.infer<typeof mutationResultSchema>;
export const pushResponseSchema = z.object({
  results: z.array(mutationResultSchema),
  /** Server HLC after the push, so devices merge it into their clocks. */
  serverHlc: z.string(),
});
export type PushResponse = z.infer<typeof pushResponseSchema>;

/**
 * A cursor holds a position per bucket (deflated, MAC'd). 12,000 characters keep the URL within
 * Node's 16 KiB header limit and hold a few hundred buckets.
 */
export const MAX_CURSOR_LENGTH = 12_000;
export const pullQuerySchema = z.strictObject({
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PULL_LIMIT).default(DEFAULT_PULL_LIMIT),
});
export type PullQuery = z.infer<typeof pullQuerySchema>;

export const CHANGE_TYPES = ['event', 'booking', 'checkin', 'alert', 'ticketKey', 'user', 'refusal'] as const;
export const changeTypeSchema = z.enum(CHANGE_TYPES);
export type ChangeType = z.infer<typeof changeTypeSchema>;

export function eventBucket(eventId: string): string {
  return `event:${eventId}`;
}
export function userBucket(userId: string): string {
  return `user:${userId}`;
}
export function parseBucket(bucket: string): { kind: 'event' | 'user'; id: string } | null {
  const match = /^(event|user):([A-Za-z0-9_-]{1,64})$/.exec(bucket);
  return match ? { kind: match[1] as 'event' | 'user', id: match[2]! } : null;
}

export const checkinSchema = z.object({
  id: idSchema,
  eventId: idSchema,
  bookingId: idSchema,
  gate: z.string(),
  direction: checkinKindSchema,
  /** On a void row only: the admission it undoes. */
  voids: idSchema.optional(),
  scannedAt: z.string(),
  deviceId: z.string(),
  staffId: idSchema,
  hlc: z.string(),
  /** Server receipt time; the device's `scannedAt` is kept as the device said it. */
  receivedAt: z.string(),
});
export type Checkin = z.infer<typeof checkinSchema>;

/** A refused scan as stored and synced: what was refused, why, where, by which device and when. */
export const refusalSchema = z.object({
  id: idSchema,
  eventId: idSchema,
  gate: z.string(),
  direction: checkinDirectionSchema,
  reason: refusalReasonSchema,
  bookingId: idSchema.nullable(),
  ticketEventId: idSchema.nullable(),
  scannedAt: z.string(),
  deviceId: z.string(),
  staffId: idSchema,
  hlc: z.string(),
  receivedAt: z.string(),
});
export type Refusal = z.infer<typeof refusalSchema>;

export const ALERT_KINDS = ['duplicateEntry', 'cancelledCheckin', 'overCapacity'] as const;

/**
 * Who acknowledged an alert, and when. The first acknowledgement by HLC wins: a later one (a second
 * steward, a repeat click, a device that synced late but acknowledged after) is applied as a no-op,
 * and an earlier one arriving late replaces it — so every device and the server end with the same
 * acknowledgement, whatever order the pushes land in (sync-server alerts `acknowledgementWins`).
 */
export const alertAcknowledgementSchema = z.object({
  /** The acknowledgement's id (the `alert.acknowledge` args' `id`). */
  id: idSchema,
  userId: idSchema,
  /** The person's name as the server knew it when applying (the device's own until then). */
  userName: z.string(),
  /** As the device said it (its server-corrected clock). */
  acknowledgedAt: z.string(),
  /** The mutation's HLC: what "first" means. */
  hlc: z.string(),
  note: z.string().nullable(),
});
export type AlertAcknowledgement = z.infer<typeof alertAcknowledgementSchema>;

/** Whether acknowledgement `candidate` (by its HLC, then id) replaces `current`: the first one wins. */
export function acknowledgementWins(
  candidate: { hlc: string; id: string },
  current: AlertAcknowledgement | null | undefined,
): boolean {
  if (!current) return true;
  if (candidate.hlc !== current.hlc) return candidate.hlc < current.hlc;
  return candidate.id < current.id;
}

export const alertSchema = z.object({
  id: idSchema,
  eventId: idSchema,
  kind: z.enum(ALERT_KINDS),
  bookingId: idSchema,
  checkinId: idSchema.nullable(),
  /** For duplicate entries: the check-in that admitted the ticket first. */
  firstCheckinId: idSchema.nullable(),
  message: z.string(),
  createdAt: z.string(),
  /**
   * Absent until someone acknowledges it (protocol version 3; older devices drop the field).
   * Who and when: see alertAcknowledgementSchema.
   */
  acknowledgement: alertAcknowledgementSchema.optional(),
});
export type Alert = z.infer<typeof alertSchema>;

/**
 * `seq` orders changes within a bucket; `rev` orders versions of one row. A device keeps the row with
 * the highest `rev`, so two writers racing on one row converge whatever order their changes land in.
 */
const changeEnvelope = {
  bucket: z.string(),
  seq: z.number().int(),
  id: z.string(),
  rev: z.number().int(),
};

export const changeSchema = z.discriminatedUnion('type', [
  z.object({ ...changeEnvelope, type: z.literal('event'), doc: eventSchema.nullable() }),
  z.object({ ...changeEnvelope, type: z.literal('booking'), doc: bookingSchema.nullable() }),
  z.object({ ...changeEnvelope, type: z.literal('checkin'), doc: checkinSchema.nullable() }),
  z.object({ ...changeEnvelope, type: z.literal('alert'), doc: alertSchema.nullable() }),
  z.object({ ...changeEnvelope, type: z.literal('ticketKey'), doc: ticketPublicKeySchema.nullable() }),
  z.object({ ...changeEnvelope, type: z.literal('user'), doc: userSchema.nullable() }),
  z.object({ ...changeEnvelope, type: z.literal('refusal'), doc: refusalSchema.nullable() }),
]);
export type Change = z.infer<typeof changeSchema>;

export const pullResponseSchema = z.object({
  changes: z.array(changeSchema),
  cursor: z.string(),
  hasMore: z.boolean(),
  bucketsAdded: z.array(z.string()),
  bucketsRemoved: z.array(z.string()),
  /** Rows still to come in the buckets being synced, for a progress bar; an estimate. */
  remaining: z.number().int().optional(),
});
export type PullResponse = z.infer<typeof pullResponseSchema>;

/** WebSocket `/sync/live`: the token travels in the first message, never in the URL (it would be logged). */
export const liveClientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('auth'), accessToken: z.string().max(4096), deviceId: deviceIdSchema }),
]);
export type LiveClientMessage = z.infer<typeof liveClientMessageSchema>;
export const liveServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('poke'), bucket: z.string(), seq: z.number().int() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type LiveServerMessage = z.infer<typeof liveServerMessageSchema>;
