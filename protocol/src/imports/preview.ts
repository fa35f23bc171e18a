import { z } from 'zod';
import { importMappingSchema } from './mapping';
import { importPresetSchema } from './presets';
import { importRowProblemSchema } from './rows';

/** The device's preview of a file before it imports it, and the sizes it reads and sends it in. */

/** The first bytes of a file the device previews (64 KiB: a header and well over ten rows). */
export const IMPORT_PREVIEW_BYTES = 64 * 1024;
/**
 * Bytes per `imports.chunk` RPC: in base64 (×4/3) with the frame around it, under the browser
 * host's 256 KiB WebSocket frame limit (electron/host/rpcSocket.ts); 256 calls for 32 MiB.
 */
export const IMPORT_CHUNK_BYTES = 128 * 1024;

/** One previewed row: its cells, what the mapping reads from it, and its problem if any. */
export const importPreviewRowSchema = z.object({
  line: z.number().int(),
  cells: z.array(z.string()),
  name: z.string().nullable(),
  email: z.string().nullable(),
  /** The event's ticket type the row resolves to (its name), or null. */
  ticketType: z.string().nullable(),
  externalId: z.string().nullable(),
  problem: importRowProblemSchema.nullable(),
});

/**
 * What the device shows before an import: the header, the delimiter and encoding detected, the
 * preset guessed (or chosen) and the mapping it gives — or why there is none yet — and the first
 * rows read by it, problems marked with line and column.
 */
export const importPreviewSchema = z.object({
  headers: z.array(z.string()),
  delimiter: z.enum([',', ';']),
  encoding: z.enum(['utf-8', 'windows-1252']),
  preset: importPresetSchema.nullable(),
  mapping: importMappingSchema.nullable(),
  mappingProblem: z.string().nullable(),
  rows: z.array(importPreviewRowSchema),
});
export type ImportPreview = z.infer<typeof importPreviewSchema>;
