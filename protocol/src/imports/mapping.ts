import { z } from 'zod';
import { GatehouseError } from '../errors';
import { foldForSearch, truncateText } from '../text';
import { IMPORT_PRESET_COLUMNS, IMPORT_PRESETS, type ImportPreset } from './presets';

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
