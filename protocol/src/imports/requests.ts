import { z } from 'zod';
import { idSchema } from '../common';
import { importEncodingSchema } from './decoding';
import { importMappingSchema } from './mapping';
import { importPresetSchema } from './presets';
import { importRowProblemSchema } from './rows';

/** The import's HTTP exchange: its query, the summary it answers, and the progress it records. */

/**
 * The import request's query (the body is the CSV itself, `text/csv`). `mapping` is the JSON of
 * an `importMappingSchema` object; without it the preset's (or the guessed preset's) is used.
 * `dryRun`: read and check the whole file, write nothing.
 */
export const importQuerySchema = z.strictObject({
  preset: importPresetSchema.optional(),
  mapping: z.string().max(4_000).optional(),
  encoding: importEncodingSchema.default('auto'),
  dryRun: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => value === 'true'),
  /**
   * A name the client gives this import (a UUID it draws), under which the server records its
   * progress for `GET /events/:id/imports/:importId` while the request runs.
   */
  importId: z.uuid().optional(),
});
export type ImportQuery = z.input<typeof importQuerySchema>;

/**
 * What an import did: rows read, and per outcome how many — `created`, `updated` (a re-import
 * changed name, email, ticket type or order date), `unchanged`, `refused` (each listed, up to
 * `IMPORT_LIMITS.maxReportedRefusals`, with line, column, code and message: IMPORT_ROW_INVALID,
 * IMPORT_ROW_UNMATCHABLE, IMPORT_DUPLICATE_ROW, IMPORT_UNKNOWN_TICKET_TYPE, IMPORT_DATE_INVALID (an order date in no format
 * the preset reads), SOLD_OUT when capacity
 * or the type's quota is reached, IMPORT_BOOKING_CANCELLED for a cancelled booking a row matches (an
 * import does not bring it back)).
 * A re-run of the same file after fixing the refused rows adds them and leaves the rest unchanged.
 */
export const importSummarySchema = z.object({
  eventId: idSchema,
  dryRun: z.boolean(),
  preset: importPresetSchema.nullable(),
  mapping: importMappingSchema,
  encoding: z.enum(['utf-8', 'windows-1252']),
  delimiter: z.enum([',', ';']),
  bytes: z.number().int(),
  rows: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  refused: z.number().int(),
  refusals: z.array(importRowProblemSchema),
  /**
   * With a photo column mapped: each imported row (created, updated or unchanged) that names a
   * photo file, with its booking — what the device uploads the file to. Absent otherwise.
   */
  photos: z.array(z.object({ line: z.number().int(), bookingId: idSchema, photo: z.string() })).optional(),
});
export type ImportSummary = z.infer<typeof importSummarySchema>;

export const IMPORT_PHASES = ['checking', 'writing', 'done', 'failed'] as const;

/**
 * How far a running import is (`GET /events/:id/imports/:importId`): `checking` while the file is
 * read and checked (`rowsRead` rows so far; nothing written yet), `writing` once every row is
 * checked — `rowsTotal` rows to write, `rowsWritten` of them written, recorded after each chunk of
 * 1,000 — then `done` (the summary is the POST's answer) or `failed` (its error is).
 */
export const importProgressSchema = z.object({
  importId: z.uuid(),
  eventId: idSchema,
  phase: z.enum(IMPORT_PHASES),
  rowsRead: z.number().int(),
  rowsTotal: z.number().int().nullable(),
  rowsWritten: z.number().int(),
  /** When the server last recorded it (ISO 8601). */
  updatedAt: z.string(),
});
export type ImportProgress = z.infer<typeof importProgressSchema>;

export const importProgressParamsSchema = z.strictObject({ id: idSchema, importId: z.uuid() });
