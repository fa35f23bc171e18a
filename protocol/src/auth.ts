import { z } from 'zod';
import { emailSchema, idSchema, nameSchema } from './common';
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

/** Claims of an access JWT. `typ` separates them from anything else signed with the same key. */
export const accessClaimsSchema = z.object({
  sub: idSchema,
  role: roleSchema,
  typ: z.literal('access'),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number(),
  iat: z.number(),
});
export type AccessClaims = z.infer<typeof accessClaimsSchema>;
