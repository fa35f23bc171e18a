import { z } from 'zod';

/**
 * What the Electron shell (main process) tells the UI about itself, and the tiny request/response core
 * uses to reach main's `safeStorage` token store over its parent port. Neither exists in the browser
 * host: there the UI never receives `shell.status`, and core keeps tokens in its own file store.
 */
export const shellStatusSchema = z.object({
  /** 'encrypted': tokens are kept on disk encrypted by the OS keychain; 'memoryOnly': not kept on disk. */
  tokenStorage: z.enum(['encrypted', 'memoryOnly']),
  /** Why tokens are memory only (e.g. no keyring on Linux), for the sign-in screen / status bar. */
  tokenStorageReason: z.string().nullable(),
  /** How many times the core process was restarted after a crash since the app started. */
  coreRestarts: z.number().int().min(0),
  lastCoreRestartAt: z.string().nullable(),
  /** Set while core is down and being restarted; null when it runs. */
  coreDownReason: z.string().nullable(),
});
export type ShellStatus = z.infer<typeof shellStatusSchema>;

const tokenKeySchema = z.string().min(1).max(200);
const tokenValueSchema = z.string().max(16_384);

/** Core → main, over `process.parentPort`, next to RPC frames. Mirrors core's TokenStore get/set/delete. */
export const tokenStoreRequestFrameSchema = z.discriminatedUnion('op', [
  z.strictObject({
    type: z.literal('tokenStore.request'),
    id: z.number().int(),
    op: z.literal('get'),
    key: tokenKeySchema,
  }),
  z.strictObject({
    type: z.literal('tokenStore.request'),
    id: z.number().int(),
    op: z.literal('set'),
    key: tokenKeySchema,
    value: tokenValueSchema,
  }),
  z.strictObject({
    type: z.literal('tokenStore.request'),
    id: z.number().int(),
    op: z.literal('delete'),
    key: tokenKeySchema,
  }),
]);
export type TokenStoreRequestFrame = z.infer<typeof tokenStoreRequestFrameSchema>;

/** Main → core, answering the request with the same id. `value` is null for set/delete and missing keys. */
export type TokenStoreResponseFrame =
  | { type: 'tokenStore.response'; id: number; ok: true; value: string | null }
  | { type: 'tokenStore.response'; id: number; ok: false; message: string };
