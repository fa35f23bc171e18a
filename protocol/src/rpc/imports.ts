import { z } from 'zod';
import { idSchema } from '../common';
import {
  IMPORT_CHUNK_BYTES,
  IMPORT_PREVIEW_BYTES,
  importEncodingSchema,
  importMappingSchema,
  importPresetSchema,
  importPreviewSchema,
  importProgressSchema,
  importSummarySchema,
} from '../imports';
import { ok } from './helpers';

/** The imports methods of the RPC table (rpc/index.ts `rpcMethods`). */
export const importsRpc = {
  // imports (organizer, online): CSV import of attendees (imports.ts). The renderer reads the file
  // and hands core its bytes: the first IMPORT_PREVIEW_BYTES to preview, then the whole file in
  // base64 chunks of at most IMPORT_CHUNK_BYTES, which core streams to the server as they come.
  /** Reads the first rows of a file with the chosen (or guessed) preset or mapping. */
  'imports.preview': {
    params: z.strictObject({
      eventId: idSchema,
      /** The file's first bytes, base64. */
      head: z.string().max(Math.ceil(IMPORT_PREVIEW_BYTES / 3) * 4),
      /** The head is the whole file (its last line is complete). */
      complete: z.boolean(),
      encoding: importEncodingSchema.default('auto'),
      preset: importPresetSchema.optional(),
      mapping: importMappingSchema.optional(),
    }),
    result: importPreviewSchema,
  },
  /** Opens the upload to the server; IMPORT_TOO_LARGE at once for a file over the limit. */
  'imports.start': {
    params: z.strictObject({
      eventId: idSchema,
      size: z.number().int().min(0),
      encoding: importEncodingSchema.default('auto'),
      preset: importPresetSchema.optional(),
      mapping: importMappingSchema.optional(),
      dryRun: z.boolean().optional(),
    }),
    result: z.object({ importId: z.string() }),
  },
  /** The next bytes (base64); answers once the server has taken them, so the answers pace the progress bar. */
  'imports.chunk': {
    params: z.strictObject({
      importId: z.string().max(64),
      bytes: z.string().max(Math.ceil(IMPORT_CHUNK_BYTES / 3) * 4),
    }),
    result: z.object({ sent: z.number().int() }),
  },
  /** Ends the file and waits for the server's summary. */
  'imports.finish': { params: z.strictObject({ importId: z.string().max(64) }), result: importSummarySchema },
  /** How far the server is (checking, rows written of rows to write), asked while `finish` waits; null: nothing yet. */
  'imports.progress': {
    params: z.strictObject({ importId: z.string().max(64) }),
    result: z.object({ progress: importProgressSchema.nullable() }),
  },
  'imports.cancel': { params: z.strictObject({ importId: z.string().max(64) }), result: ok },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;
