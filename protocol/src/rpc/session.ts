import { z } from 'zod';
import { emailSchema } from '../common';
import { sessionStateSchema } from './shapes';
import { nothing } from './helpers';

/** The session methods of the RPC table (rpc/index.ts `rpcMethods`). */
export const sessionRpc = {
  // session
  'session.get': { params: nothing, result: sessionStateSchema },
  'session.signIn': {
    params: z.strictObject({ serverUrl: z.url(), email: emailSchema, password: z.string().min(1).max(256) }),
    result: sessionStateSchema,
  },
  'session.unlock': {
    params: z.strictObject({ email: emailSchema, password: z.string().min(1).max(256) }),
    result: sessionStateSchema,
  },
  'session.signOut': { params: z.strictObject({ wipeLocalData: z.boolean() }), result: sessionStateSchema },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;
