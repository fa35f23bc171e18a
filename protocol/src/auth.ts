import { z } from 'zod';
import { emailSchema, idSchema, nameSchema } from './common';
import { photoIdSchema } from './images';
import { roleSchema } from './roles';

/** NIST 800-63B: length over composition rules; the upper bound keeps hashing cost bounded. */
export const passwordSchema = z.string().min(10, 'must be at least 10 characters').max(256);

export const userSchema = z.object({
  id: idSchema,
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  disabled: z.boolean(),
  createdAt: z.string(),
  /** The profile photo (`GET /users/:id/photo`, protocol/src/images.ts); null or missing: none. */
  photoId: photoIdSchema.nullable().optional(),
});
export type User = z.infer<typeof userSchema>;

export const registerRequestSchema = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: nameSchema,
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const loginRequestSchema = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(256),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const refreshTokenSchema = z.string().min(20).max(200);
export const refreshRequestSchema = z.strictObject({ refreshToken: refreshTokenSchema });
export const logoutRequestSchema = refreshRequestSchema;

export const sessionSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Seconds until the access token expires, so clients refresh ahead of time. */
  expiresIn: z.number().int(),
  user: userSchema,
});
export type Session = z.infer<typeof sessionSchema>;

/**
 * Claims of an access JWT. `typ` separates them from anything else signed with the same key. `sid`
 * names the session (the refresh-token family) the token was issued in, so ending that session
 * ends the token too; `did` is the device it was issued for (null: a sign-in that named none).
 * Tokens signed before sessions were named lack both and are answered TOKEN_EXPIRED, so the
 * client refreshes into a named session.
 */
export const accessClaimsSchema = z.object({
  sub: idSchema,
  role: roleSchema,
  typ: z.literal('access'),
  sid: idSchema.optional(),
  did: z.string().nullable().optional(),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number(),
  iat: z.number(),
});
export type AccessClaims = z.infer<typeof accessClaimsSchema>;

/** `POST /users/me/password`: the current password proves the caller; every other session ends. */
export const passwordChangeRequestSchema = z.strictObject({
  currentPassword: z.string().min(1).max(256),
  newPassword: passwordSchema,
});
export type PasswordChangeRequest = z.infer<typeof passwordChangeRequestSchema>;

/**
 * One signed-in session of a user (a refresh-token family): where it runs and when it was last
 * refreshed. Times are ISO 8601 UTC. `current` marks the session of the token that asked.
 */
export const userSessionSchema = z.object({
  id: idSchema,
  deviceId: z.string().nullable(),
  /** The device's name as it reported it, null when unknown or when the session names no device. */
  deviceName: z.string().nullable(),
  startedAt: z.string(),
  /** When the session last exchanged its refresh token (about every access-token lifetime while in use). */
  lastActiveAt: z.string(),
  expiresAt: z.string(),
  current: z.boolean(),
});
export type UserSession = z.infer<typeof userSessionSchema>;
export const userSessionListSchema = z.object({ items: z.array(userSessionSchema) });

/** How many sessions a sign-out-everywhere or a password change ended. */
export const sessionsEndedSchema = z.object({ ended: z.number().int().nonnegative() });
export type SessionsEnded = z.infer<typeof sessionsEndedSchema>;
