import { z } from 'zod';
import { mutationResultSchema, pushMutationEnvelopeSchema } from './sync';

/** The format tag of a file of unsent changes; a new shape gets a new tag. */
export const UNSENT_EXPORT_FORMAT = 'gatehouse-unsent/1';

/** At most this many changes in one file (a door's day of scans is a few thousand). */
export const MAX_UNSENT_EXPORT = 20_000;

/**
 * What a device's outbox held when it lost its access for good (its device revoked, its account
 * disabled): written to a file on that device before its local data is wiped, so no check-in is
 * silently dropped, and imported by an admin (`POST /admin/unsent-imports`). `pending` changes had
 * not reached the server; `rejected` ones were refused (e.g. ACCOUNT_DISABLED) and are kept so an
 * admin can apply them. Times are ISO 8601 UTC.
 */
export const unsentExportSchema = z.strictObject({
  format: z.literal(UNSENT_EXPORT_FORMAT),
  exportedAt: z.string(),
  /** The error code that ended access (DEVICE_REVOKED, ACCOUNT_DISABLED). */
  reason: z.string().max(64),
  serverUrl: z.string().max(2048),
  deviceId: z.uuid(),
  user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
  changes: z
    .array(
      pushMutationEnvelopeSchema.extend({
        state: z.enum(['pending', 'rejected']),
        /** For a rejected change: the server's code and message. */
        code: z.string().max(64).nullable(),
        message: z.string().max(2000).nullable(),
      }),
    )
    .max(MAX_UNSENT_EXPORT),
});
export type UnsentExport = z.infer<typeof unsentExportSchema>;

/**
 * The import's answer: one result per change under its original id. `skipped` counts changes the
 * server had applied already (from the device itself before it lost access, or an earlier import).
 */
export const unsentImportResultSchema = z.object({
  applied: z.number().int(),
  rejected: z.number().int(),
  skipped: z.number().int(),
  results: z.array(mutationResultSchema),
});
export type UnsentImportResult = z.infer<typeof unsentImportResultSchema>;
