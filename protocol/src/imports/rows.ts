import { z } from 'zod';
import { emailSchema } from '../common';
import { foldForSearch, truncateText } from '../text';
import type { ImportMapping } from './mapping';

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
