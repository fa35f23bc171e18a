import { z } from 'zod';
import { passwordChangeRequestSchema, sessionsEndedSchema, userSchema, userSessionSchema } from '../auth';
import { idSchema } from '../common';
import {
  emailChangeConfirmedSchema,
  emailChangeConfirmSchema,
  emailChangeRequestSchema,
  emailChangeStateSchema,
  userSelfPatchSchema,
} from '../users';
import { nothing, ok } from './helpers';

/** The profile methods of the RPC table (rpc/index.ts `rpcMethods`). */
export const profileRpc = {
  // profile (online: the signed-in user's own sessions and password)
  'profile.sessions.list': { params: nothing, result: z.array(userSessionSchema) },
  'profile.sessions.end': { params: z.strictObject({ sessionId: idSchema }), result: ok },
  'profile.sessions.endOthers': { params: nothing, result: sessionsEndedSchema },
  /** Also renews this device's offline-unlock verifier, so the old password no longer unlocks it. */
  'profile.password.change': { params: passwordChangeRequestSchema, result: sessionsEndedSchema },
  /** Renames the signed-in user (`PATCH /users/me`); the session and this device's sign-in list follow. */
  'profile.rename': { params: userSelfPatchSchema, result: userSchema },
  /** The email change waiting for its code, if any. */
  'profile.emailChange.get': { params: nothing, result: emailChangeStateSchema },
  /** Mails a code to the new address; the email stays as it is until the code is confirmed. */
  'profile.emailChange.request': { params: emailChangeRequestSchema, result: emailChangeStateSchema },
  /** Confirms with the code from the mail; the session and offline unlock take the new email. */
  'profile.emailChange.confirm': { params: emailChangeConfirmSchema, result: emailChangeConfirmedSchema },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;
