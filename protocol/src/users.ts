import { z } from 'zod';
import { cursorSchema, idSchema, limitSchema, nameSchema } from './common';
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
