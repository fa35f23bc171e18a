import { z } from 'zod';
import { cursorSchema, emailSchema, idSchema, limitSchema, nameSchema } from './common';
import { roleSchema } from './roles';

export const userListQuerySchema = z.strictObject({
  limit: limitSchema,
  cursor: cursorSchema.optional(),
  q: z.string().trim().max(200).optional(),
  role: roleSchema.optional(),
});
export type UserListQuery = z.infer<typeof userListQuerySchema>;

/** What an admin may change on another user. */
export const userAdminPatchSchema = z
  .strictObject({
    role: roleSchema.optional(),
    disabled: z.boolean().optional(),
    name: nameSchema.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'patch must change something' });
export type UserAdminPatch = z.infer<typeof userAdminPatchSchema>;

/** What a user may change on themselves. */
export const userSelfPatchSchema = z.strictObject({ name: nameSchema });

export const deviceSchema = z.object({
  id: idSchema,
  userId: idSchema,
  name: z.string().nullable(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  revoked: z.boolean(),
  /** Device clock minus server clock at the last sync, in ms; reported, never a reason to refuse. */
  clockOffsetMs: z.number().nullable(),
});
export type Device = z.infer<typeof deviceSchema>;
export const idParamsSchema = z.strictObject({ id: idSchema });

/** How long an email-change code stays good after it was mailed, in hours. */
export const EMAIL_CHANGE_TTL_HOURS = 24;

/**
 * An email-change code as the mail gives it: `XXXX-XXXX-XXXX-XXXX-XXXX` from the Crockford
 * base-32 alphabet (no I, L, O or U: nothing to misread), 100 random bits. Typed or pasted, it is
 * read case-insensitively, with or without the dashes and spaces, and O/I/L read as 0/1/1.
 */
export const emailChangeCodeSchema = z
  .string()
  .max(100)
  .transform((text) =>
    text
      .toUpperCase()
      .replace(/[\s-]+/g, '')
      .replace(/O/g, '0')
      .replace(/[IL]/g, '1'),
  )
  .pipe(z.string().regex(/^[0-9A-HJKMNP-TV-Z]{20}$/, 'must be the 20-character code from the email'));

/**
 * `POST /users/me/email-change`: asks to move the caller's account to `newEmail`. The current
 * password is the proof that the person at the keyboard owns the account (INVALID_CREDENTIALS
 * otherwise, counted towards the sign-in lockout): the email is what signs in.
 */
export const emailChangeRequestSchema = z.strictObject({
  newEmail: emailSchema,
  currentPassword: z.string().min(1).max(256),
});
export type EmailChangeRequest = z.infer<typeof emailChangeRequestSchema>;

/** `POST /auth/email-change/confirm`: the code from the mail sent to the new address is the proof. */
export const emailChangeConfirmSchema = z.strictObject({ token: emailChangeCodeSchema });
export type EmailChangeConfirm = z.infer<typeof emailChangeConfirmSchema>;

/** A change of email waiting for its code; the account's email stays as it is until then. */
export const pendingEmailChangeSchema = z.object({
  newEmail: z.string(),
  /** When it was asked for and when its code stops working (ISO 8601). */
  requestedAt: z.string(),
  expiresAt: z.string(),
});
export type PendingEmailChange = z.infer<typeof pendingEmailChangeSchema>;

/** The caller's pending email change, if any (`GET /users/me/email-change`, and the request's answer). */
export const emailChangeStateSchema = z.object({ pending: pendingEmailChangeSchema.nullable() });
export type EmailChangeState = z.infer<typeof emailChangeStateSchema>;

/** The confirm's answer: the account's email as it now is. */
export const emailChangeConfirmedSchema = z.object({ email: z.string() });
export type EmailChangeConfirmed = z.infer<typeof emailChangeConfirmedSchema>;
