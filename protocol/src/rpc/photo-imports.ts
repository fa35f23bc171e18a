import { z } from 'zod';
import { idSchema } from '../common';
import {
  photoImportOutcomeSchema,
  photoImportPreviewSchema,
  photoImportPutSchema,
  photoReferenceSchema,
} from '../photo-imports';

/** The photo import methods of the RPC table (rpc/index.ts `rpcMethods`). */
export const photoImportsRpc = {
  // Photo import (photo-imports.ts): a folder of photos named after door codes or external ids.
  /** Which references no booking of the event on this device has as its code (local; the server decides the rest). */
  'photoImports.preview': {
    params: z.strictObject({ eventId: idSchema, references: z.array(photoReferenceSchema).max(20_000) }),
    result: photoImportPreviewSchema,
  },
  /** Uploads one file for its reference; answers what became of it (never throws for the file's own trouble). */
  'photoImports.put': { params: photoImportPutSchema, result: photoImportOutcomeSchema },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;
