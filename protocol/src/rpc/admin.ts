import { z } from 'zod';
import { sessionsEndedSchema, userSchema } from '../auth';
import { idSchema } from '../common';
import { mailIdSchema, mailMessageSchema, mailStatusSchema } from '../mail';
import { unsentExportSchema, unsentImportResultSchema } from '../unsent';
import { deviceSchema, userAdminPatchSchema } from '../users';
import { nothing, ok } from './helpers';

/** The admin methods of the RPC table (rpc/index.ts `rpcMethods`). */
export const adminRpc = {
  // admin (online pass-through to the sync server)
  'admin.users.list': {
    params: z.strictObject({ q: z.string().max(200).optional(), cursor: z.string().optional() }),
    result: z.object({ items: z.array(userSchema), nextCursor: z.string().nullable() }),
  },
  'admin.users.update': {
    params: z.strictObject({ userId: idSchema, patch: userAdminPatchSchema }),
    result: userSchema,
  },
  'admin.devices.list': { params: nothing, result: z.array(deviceSchema) },
  'admin.devices.revoke': { params: z.strictObject({ deviceId: z.string() }), result: ok },
  'admin.mail.list': {
    params: z.strictObject({ status: mailStatusSchema.optional() }),
    result: z.array(mailMessageSchema),
  },
  'admin.mail.retry': { params: z.strictObject({ messageId: mailIdSchema }), result: ok },
  'admin.mail.discard': { params: z.strictObject({ messageId: mailIdSchema }), result: ok },
  /** Signs a user out everywhere (their devices keep data and outbox and ask them to sign in). */
  'admin.users.endSessions': { params: z.strictObject({ userId: idSchema }), result: sessionsEndedSchema },
  /** Applies a file of unsent changes a revoked or disabled device saved (protocol/src/unsent.ts). */
  'admin.devices.importUnsent': {
    params: z.strictObject({ file: unsentExportSchema }),
    result: unsentImportResultSchema,
  },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;
