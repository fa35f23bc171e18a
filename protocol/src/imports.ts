import { z } from 'zod';
import { emailSchema, idSchema } from './common';
import { GatehouseError } from './errors';
import { foldForSearch, truncateText } from './text';

/**
 * CSV import of attendees into an event (issue #20, part 1): the presets of the tools organizers
 * export from, the column mapping, the limits, and the shapes of the answer. Pure: the server
 * (sync-server/src/imports/) and the device's preview (electron/core/imports/) both use it, so a
 * file previews as it imports.
 */

/**
 * What one import may hold. 32 MiB is ~3× a 100,000-row Eventbrite report (≈120 bytes a row
 * with the columns this reads; its full export is wider); a 50 MB file is refused before any row is
 * read. 200 columns is above the widest export we know (Eventbrite with custom questions, ~80).
 */
export const IMPORT_LIMITS = {
  maxBytes: 32 * 1024 * 1024,
  maxColumns: 200,
  maxRows: 200_000,
  /** One record, in characters: far above any real row; a broken quote that swallows the file stops here. */
  maxRecordChars: 1_000_000,
  /** Refused rows listed in the answer at most (all are counted). */
  maxReportedRefusals: 5_000,
} as const;

export const IMPORT_PRESETS = ['eventbrite', 'pretix', 'plain'] as const;
export const importPresetSchema = z.enum(IMPORT_PRESETS);
export type ImportPreset = z.infer<typeof importPresetSchema>;

export const IMPORT_ENCODINGS = ['auto', 'utf-8', 'windows-1252'] as const;
export const importEncodingSchema = z.enum(IMPORT_ENCODINGS);
export type ImportEncoding = z.infer<typeof importEncodingSchema>;

const headerSchema = z.string().min(1).max(200);

/**
 * Which column (by its header, as written in the file) holds what. A name is `name`, or
 * `firstName` and/or `lastName` joined by a space. `externalId` may join several columns with `-`
 * (pretix: order code + position id). Without `ticketType` the event must have one ticket type.
 */
export const importMappingSchema = z
  .strictObject({
    name: headerSchema.optional(),
    firstName: headerSchema.optional(),
    lastName: headerSchema.optional(),
    email: headerSchema.optional(),
    ticketType: headerSchema.optional(),
    externalId: z.array(headerSchema).min(1).max(4).optional(),
    /**
     * A column naming each attendee's photo file (`anna.jpg`). The server only reads it back
     * (ImportSummary.photos); the device uploads the files from a folder the organizer chooses.
     */
    photo: headerSchema.optional(),
    /** When the ticket was ordered (IMPORT_ORDER_DATE_EXAMPLES), kept as the booking's `orderedAt`. */
    orderDate: headerSchema.optional(),
  })
  .refine(
    (mapping) => mapping.name !== undefined || mapping.firstName !== undefined || mapping.lastName !== undefined,
    {
      message: 'map a name column, or first and last name columns',
      path: ['name'],
    },
  );
export type ImportMapping = z.infer<typeof importMappingSchema>;

type PresetColumns = {
  /** Shown in the app. */
  label: string;
  /** Headers that must all be there for auto-detection to pick the preset (compared folded). */
  signature: string[];
  /** Per field, the headers the tool writes (the first present is taken). */
  columns: {
    name?: string[];
    firstName?: string[];
    lastName?: string[];
    email?: string[];
    ticketType?: string[];
    externalId?: string[][];
    orderDate?: string[];
  };
};

/**
 * Header names as the tools write them. Eventbrite's attendee report (Orders › Attendee summary,
 * CSV): "Order #", "Order Date" (`2024-05-02 14:31:07-07:00`), "First Name", "Last Name",
 * "Email", "Quantity", "Ticket Type", "Attendee #", … — "Attendee #" is unique per ticket.
 * pretix order positions (Export › Order data › Order positions, CSV): "Order code", "Position ID"
 * (counts from 1 within the order), "Order date" (`2024-05-02`), "Product", "Attendee name",
 * "Attendee email" (older versions: "E-mail"), … — a ticket is the order code with its position.
 * The plain sheet is the one people make by hand: name, email, ticket_type and an optional
 * external_id.
 */
export const IMPORT_PRESET_COLUMNS: Record<ImportPreset, PresetColumns> = {
  eventbrite: {
    label: 'Eventbrite attendee report',
    signature: ['Attendee #', 'Ticket Type'],
    columns: {
      firstName: ['First Name'],
      lastName: ['Last Name'],
      email: ['Email'],
      ticketType: ['Ticket Type'],
      externalId: [['Attendee #']],
      orderDate: ['Order Date'],
    },
  },
  pretix: {
    label: 'pretix order positions',
    signature: ['Order code', 'Position ID'],
    columns: {
      name: ['Attendee name', 'Name'],
      email: ['Attendee email', 'E-mail', 'Email'],
      ticketType: ['Product', 'Item'],
      externalId: [['Order code', 'Position ID']],
      orderDate: ['Order date'],
    },
  },
  plain: {
    label: 'Name, email, ticket type',
    signature: ['name'],
    columns: {
      name: ['name', 'full name', 'attendee'],
      email: ['email', 'e-mail'],
      ticketType: ['ticket_type', 'ticket type', 'ticket'],
      externalId: [['external_id'], ['external id'], ['id']],
      orderDate: ['ordered_at', 'order date', 'order_date', 'ordered at'],
    },
  },
};

/**
 * An order date as each preset's tool writes it, for messages. The server reads one grammar for
 * all (sync-server/src/imports/order-date.ts): `yyyy-MM-dd`, optionally a time `HH:mm[:ss[.SSS]]`
 * after `T` or a space, optionally an offset (`Z`, `±HH:mm`); a date or time without an offset is
 * on the event's clock (its `timezone`).
 */
export const IMPORT_ORDER_DATE_EXAMPLES: Record<ImportPreset, string> = {
  eventbrite: '2024-05-02 14:31:07-07:00',
  pretix: '2024-05-02',
  plain: '2024-05-02 or 2024-05-02 14:31',
};

function headerKey(header: string): string {
  return foldForSearch(header.trim());
}

/** The file's header as written, by folded name (the first of equal ones wins). */
function headerIndex(headers: readonly string[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const header of headers) if (!index.has(headerKey(header))) index.set(headerKey(header), header.trim());
  return index;
}

/** The preset whose signature headers the file has (most specific first), or null. */
export function guessImportPreset(headers: readonly string[]): ImportPreset | null {
  const present = headerIndex(headers);
  for (const preset of IMPORT_PRESETS) {
    if (IMPORT_PRESET_COLUMNS[preset].signature.every((header) => present.has(headerKey(header)))) return preset;
  }
  return null;
}

/** The mapping a preset gives this file's headers (fields whose columns are missing are left out). */
export function presetMapping(preset: ImportPreset, headers: readonly string[]): Partial<ImportMapping> {
  const present = headerIndex(headers);
  const pick = (candidates: string[] | undefined) =>
    candidates?.map((candidate) => present.get(headerKey(candidate))).find((found) => found !== undefined);
  const { columns } = IMPORT_PRESET_COLUMNS[preset];
  const mapping: Partial<ImportMapping> = {};
  for (const field of ['name', 'firstName', 'lastName', 'email', 'ticketType', 'orderDate'] as const) {
    const header = pick(columns[field]);
    if (header !== undefined) mapping[field] = header;
  }
  for (const group of columns.externalId ?? []) {
    const found = group.map((candidate) => present.get(headerKey(candidate)));
    if (found.every((header) => header !== undefined)) {
      mapping.externalId = found as string[];
      break;
    }
  }
  return mapping;
}

/**
 * The mapping to import with: `mapping` as given (its headers must exist), else the preset's (or
 * the guessed one's). IMPORT_MAPPING_INVALID names what is missing.
 */
export function resolveImportMapping(
  headers: readonly string[],
  choice: { preset?: ImportPreset | undefined; mapping?: ImportMapping | undefined },
): ImportMapping {
  const preset = choice.preset ?? guessImportPreset(headers);
  const candidate = choice.mapping ?? (preset ? presetMapping(preset, headers) : {});
  const parsed = importMappingSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new GatehouseError(
      'IMPORT_MAPPING_INVALID',
      preset || choice.mapping
        ? 'The file lacks a column the import needs: a name (or first and last name)'
        : 'The columns match no preset; choose one or map the columns',
      [{ path: 'mapping.name', message: 'no name column' }],
    );
  }
  const present = new Set(headers.map((header) => header.trim()));
  const missing = mappedHeaders(parsed.data).filter((header) => !present.has(header));
  if (missing.length > 0) {
    throw new GatehouseError(
      'IMPORT_MAPPING_INVALID',
      `The file has no column ${missing.map((header) => `"${truncateText(header, 60)}"`).join(', ')}`,
      missing.slice(0, 20).map((header) => ({ path: 'mapping', message: `no column "${truncateText(header, 60)}"` })),
    );
  }
  return parsed.data;
}

function mappedHeaders(mapping: ImportMapping): string[] {
  return [
    mapping.name,
    mapping.firstName,
    mapping.lastName,
    mapping.email,
    mapping.ticketType,
    mapping.photo,
    mapping.orderDate,
    ...(mapping.externalId ?? []),
  ].filter((header): header is string => header !== undefined);
}

/** One attendee read from a row, before its ticket type is resolved against the event. */
export type ImportCandidate = {
  /** The line the row starts on (1 = the header). */
  line: number;
  name: string;
  email: string | null;
  ticketType: string | null;
  externalId: string | null;
  /** The photo file the row names, or null; only there when a photo column is mapped. */
  photo?: string | null;
  /** The order date cell as written (trimmed), null when empty or not mapped; parsed by the server. */
  orderDate: string | null;
};

/** A row's problem: its line, the column (header) at fault when there is one, a code and a message. */
export const importRowProblemSchema = z.object({
  line: z.number().int(),
  column: z.string().optional(),
  code: z.string(),
  message: z.string(),
});
export type ImportRowProblem = z.infer<typeof importRowProblemSchema>;

/**
 * Reads a parsed record by the mapping. Problems: IMPORT_ROW_INVALID (no name, a bad email, a
 * wrong number of fields) and IMPORT_ROW_UNMATCHABLE (neither an email nor an external id: a
 * re-import could not find it again, so it would be added twice).
 */
export function readImportRow(
  record: readonly string[],
  line: number,
  headers: readonly string[],
  mapping: ImportMapping,
  columnOf: Map<string, number> = columnIndex(headers),
): ImportCandidate | ImportRowProblem {
  if (record.length !== headers.length) {
    return {
      line,
      code: 'IMPORT_ROW_INVALID',
      message: `The row has ${record.length} fields where the header has ${headers.length}`,
    };
  }
  const cell = (header: string | undefined) =>
    header === undefined ? '' : (record[columnOf.get(header.trim()) ?? -1] ?? '').trim();
  const name = mapping.name
    ? cell(mapping.name)
    : [cell(mapping.firstName), cell(mapping.lastName)].filter((part) => part.length > 0).join(' ');
  if (name.length === 0) {
    const column = mapping.name ?? mapping.firstName ?? mapping.lastName;
    return { line, ...(column ? { column } : {}), code: 'IMPORT_ROW_INVALID', message: 'The name is empty' };
  }
  if (name.length > 200) {
    return { line, code: 'IMPORT_ROW_INVALID', message: 'The name is longer than 200 characters' };
  }
  let email: string | null = null;
  const rawEmail = cell(mapping.email);
  if (rawEmail.length > 0) {
    const parsed = emailSchema.safeParse(rawEmail);
    if (!parsed.success) {
      return {
        line,
        column: mapping.email!,
        code: 'IMPORT_ROW_INVALID',
        message: `"${truncateText(rawEmail, 80)}" is not an email address`,
      };
    }
    email = parsed.data;
  }
  const idParts = (mapping.externalId ?? []).map((header) => cell(header));
  const externalId = idParts.length > 0 && idParts.every((part) => part.length > 0) ? idParts.join('-') : null;
  if (externalId !== null && externalId.length > 200) {
    return {
      line,
      column: mapping.externalId![0]!,
      code: 'IMPORT_ROW_INVALID',
      message: 'The external id is longer than 200 characters',
    };
  }
  if (externalId === null && email === null) {
    return {
      line,
      ...(mapping.email ? { column: mapping.email } : {}),
      code: 'IMPORT_ROW_UNMATCHABLE',
      message: 'The row has neither an email nor an external id, so a re-import could not find it',
    };
  }
  const ticketType = cell(mapping.ticketType);
  const photo = cell(mapping.photo);
  const orderDate = cell(mapping.orderDate);
  return {
    line,
    name,
    email,
    ticketType: ticketType.length > 0 ? ticketType : null,
    externalId,
    ...(mapping.photo !== undefined ? { photo: photo.length > 0 && photo.length <= 500 ? photo : null } : {}),
    orderDate: orderDate.length > 0 ? orderDate : null,
  };
}

/** Header (trimmed) → field position. */
export function columnIndex(headers: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  headers.forEach((header, position) => {
    if (!index.has(header.trim())) index.set(header.trim(), position);
  });
  return index;
}

export function isImportProblem(value: ImportCandidate | ImportRowProblem): value is ImportRowProblem {
  return 'code' in value;
}

/**
 * The key a row is matched by — its external id, else its email and folded name — which is also
 * how a duplicate row within one file is found.
 */
export function importMatchKey(candidate: Pick<ImportCandidate, 'externalId' | 'email' | 'name'>): string {
  return candidate.externalId !== null
    ? `x:${candidate.externalId}`
    : `e:${candidate.email ?? ''}\u0001${foldForSearch(candidate.name)}`;
}

/**
 * Resolves a ticket type as written in the file — its id, or its name with case and accents
 * folded ("VIP", "vip", "Vìp") — against the event's types. With no ticket type column, an event
 * with a single type takes it. Null: unknown.
 */
export function ticketTypeResolver(
  ticketTypes: ReadonlyArray<{ id: string; name: string }>,
): (written: string | null) => string | null {
  const byName = new Map<string, string>();
  const ids = new Set<string>();
  for (const type of ticketTypes) {
    ids.add(type.id);
    if (!byName.has(foldForSearch(type.name.trim()))) byName.set(foldForSearch(type.name.trim()), type.id);
  }
  const only = ticketTypes.length === 1 ? ticketTypes[0]!.id : null;
  return (written) => {
    if (written === null) return only;
    if (ids.has(written)) return written;
    return byName.get(foldForSearch(written)) ?? null;
  };
}

export { detectDelimiter, ImportTextDecoder } from './import-decoding';

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
