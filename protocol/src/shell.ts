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

/**
 * Electron only: the renderer asks main (preload's `chooseSaveFile`) where to save a file, with
 * the name to suggest. Main shows the OS save dialog (CSV filter) and answers a one-use token for
 * the chosen path, never the path itself as something the renderer can hand to core: core writes
 * only to paths main granted it (saveTargetGrantFrameSchema). null: the dialog was cancelled.
 */
export const saveFileRequestSchema = z.strictObject({
  /** The file name to suggest (e.g. `summer-gala-attendees-2026-12-01.csv`); main keeps only a safe base name. */
  suggestedName: z.string().min(1).max(200),
});
export type SaveFileRequest = z.infer<typeof saveFileRequestSchema>;
/** The user's choice: the token core takes the path by, and the chosen file's base name to show. */
export type ChosenSaveFile = { token: string; fileName: string };

/** How long a granted save target waits for the export that uses it. */
export const SAVE_TARGET_TTL_MS = 10 * 60_000;

/** Main → core, over `process.parentPort`: the path the user chose for the export presenting `token`. */
export const saveTargetGrantFrameSchema = z.strictObject({
  type: z.literal('saveTarget.grant'),
  token: z.uuid(),
  path: z.string().min(1).max(4096),
});
export type SaveTargetGrantFrame = z.infer<typeof saveTargetGrantFrameSchema>;
