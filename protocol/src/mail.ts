import { z } from 'zod';
import { cursorSchema, limitSchema } from './common';

/**
 * The sync server's email outbox as admins see it. `dead` = gave up after the retry limit (or a
 * permanent SMTP refusal), kept for an admin to retry or discard; `discarded` = an admin chose not
 * to send it. Nothing is ever deleted, so the list doubles as a record of what was sent.
 */
export const MAIL_STATUSES = ['pending', 'sending', 'sent', 'dead', 'discarded'] as const;
export const mailStatusSchema = z.enum(MAIL_STATUSES);
export type MailStatus = z.infer<typeof mailStatusSchema>;

export const MAIL_KINDS = [
  'bookingConfirmed',
  'bookingCancelled',
  'eventChanged',
  'eventCancelled',
  /** To the new address of an email change: the code that confirms it. */
  'emailChangeConfirm',
  /** To the old address once an email change is confirmed: a notice, in case it was not its owner. */
  'emailChanged',
] as const;
export const mailKindSchema = z.enum(MAIL_KINDS);
export type MailKind = z.infer<typeof mailKindSchema>;

/** Outbox ids are derived from what caused the message, e.g. `bookingConfirmed:<bookingId>`. */
export const mailIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_:.-]+$/, 'must be an outbox message id');

export const mailMessageSchema = z.object({
  id: z.string(),
  kind: z.string(),
  to: z.string(),
  subject: z.string(),
  status: mailStatusSchema,
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  /** The Message-ID header, the same on every attempt, so a resend after a crash is recognisable. */
  messageId: z.string().optional(),
  eventId: z.string().nullable().optional(),
  bookingId: z.string().nullable().optional(),
  /** When a pending message is next tried. */
  nextAttemptAt: z.string().nullable().optional(),
});
export type MailMessage = z.infer<typeof mailMessageSchema>;

export const mailListQuerySchema = z.strictObject({
  status: mailStatusSchema.optional(),
  limit: limitSchema,
  cursor: cursorSchema.optional(),
});
export type MailListQuery = z.infer<typeof mailListQuerySchema>;

export const mailIdParamsSchema = z.strictObject({ id: mailIdSchema });

export const mailSummarySchema = z.object(
  Object.fromEntries(MAIL_STATUSES.map((status) => [status, z.number().int()])) as Record<MailStatus, z.ZodNumber>,
);
export type MailSummary = z.infer<typeof mailSummarySchema>;
