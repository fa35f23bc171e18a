import {
  columnIndex,
  detectDelimiter,
  GatehouseError,
  guessImportPreset,
  ImportTextDecoder,
  isImportProblem,
  presetMapping,
  readImportRow,
  resolveImportMapping,
  ticketTypeResolver,
  type Event,
  type ImportEncoding,
  type ImportMapping,
  type ImportPreset,
  type ImportPreview,
} from '@gatehouse/protocol';
import { parse } from 'csv-parse/sync';

/** Rows a preview shows. */
export const PREVIEW_ROWS = 10;

/**
 * The preview of a file's first bytes (`imports.preview`): decoded and parsed as the server will
 * (protocol imports.ts: the same decoder, delimiter rule, presets and row checks), with the
 * event's ticket types as this device holds them. An unfinished last line (the head cut the file)
 * is left out. IMPORT_EMPTY / IMPORT_MALFORMED / IMPORT_ENCODING_INVALID as the server would say.
 */
export function previewImport(
  head: Uint8Array,
  options: {
    complete: boolean;
    encoding: ImportEncoding;
    preset?: ImportPreset | undefined;
    mapping?: ImportMapping | undefined;
    event: { ticketTypes: ReadonlyArray<Pick<Event['ticketTypes'][number], 'id' | 'name'>> };
  },
): ImportPreview {
  const decoder = new ImportTextDecoder(options.encoding);
  let text = decoder
    .decode(head, true)
    .replace(/^\uFEFF/, '')
    .replaceAll('\r\n', '\n');
  if (!options.complete) {
    const lastBreak = text.lastIndexOf('\n');
    text = lastBreak === -1 ? text : text.slice(0, lastBreak + 1);
  }
  if (text.trim().length === 0) throw new GatehouseError('IMPORT_EMPTY', 'The file is empty');
  const delimiter = detectDelimiter(text);
  let records: string[][];
  try {
    records = parse(text, {
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as string[][];
  } catch (error) {
    // A quote open at the cut is no fault of the file: show what came before it.
    if (!options.complete) records = parseUpToError(text, delimiter);
    else throw new GatehouseError('IMPORT_MALFORMED', `The CSV cannot be read: ${(error as Error).message}`);
  }
  const [headerRow, ...rest] = records;
  if (!headerRow) throw new GatehouseError('IMPORT_EMPTY', 'The file is empty');
  const headers = headerRow.map((header) => header.trim());
  const preset = options.preset ?? (options.mapping ? null : guessImportPreset(headers));
  let mapping: ImportMapping | null = null;
  let mappingProblem: string | null = null;
  try {
    mapping = resolveImportMapping(headers, { preset: preset ?? undefined, mapping: options.mapping });
  } catch (error) {
    mappingProblem = (error as Error).message;
    if (preset) mapping = null;
  }
  if (mapping && mapping.ticketType === undefined && options.event.ticketTypes.length !== 1) {
    mappingProblem = 'Choose the ticket type column: this event has several ticket types';
  }
  const resolve = ticketTypeResolver(options.event.ticketTypes);
  const nameOf = (id: string | null) => options.event.ticketTypes.find((type) => type.id === id)?.name ?? null;
  const columnOf = columnIndex(headers);
  const rows = rest.slice(0, PREVIEW_ROWS).map((cells, index) => {
    const line = lineOf(text, records, index + 1);
    const base = { line, cells, name: null, email: null, ticketType: null, externalId: null, problem: null };
    if (!mapping) return base;
    const read = readImportRow(cells, line, headers, mapping, columnOf);
    if (isImportProblem(read)) return { ...base, problem: read };
    const ticketTypeId = resolve(read.ticketType);
    return {
      ...base,
      name: read.name,
      email: read.email,
      externalId: read.externalId,
      ticketType: nameOf(ticketTypeId),
      problem:
        ticketTypeId === null
          ? {
              line,
              ...(mapping.ticketType ? { column: mapping.ticketType } : {}),
              code: 'IMPORT_UNKNOWN_TICKET_TYPE',
              message: `The event has no ticket type "${read.ticketType ?? ''}"`,
            }
          : null,
    };
  });
  return {
    headers,
    delimiter,
    encoding: decoder.current,
    preset,
    mapping: mapping ?? (preset ? (presetMapping(preset, headers) as ImportMapping) : null),
    mappingProblem,
    rows,
  };
}

/** Records before a parse error (the head ended inside a quoted field). */
function parseUpToError(text: string, delimiter: ',' | ';'): string[][] {
  const records: string[][] = [];
  try {
    parse(text, {
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      on_record: (record: string[]) => {
        records.push(record);
        return record;
      },
    });
  } catch {
    // Keep what was read.
  }
  return records;
}

/** The line record `index` starts on: 1 + the line breaks of the records (and blank lines) before it. */
function lineOf(text: string, records: string[][], index: number): number {
  // Blank lines are skipped by the parser; counting them needs the text, so walk it once per preview.
  let line = 1;
  let position = 0;
  for (let record = 0; record < index; record++) {
    const fields = records[record]!;
    const inside = fields.reduce((sum, field) => sum + (field.match(/\n/g)?.length ?? 0), 0);
    let breaks = inside + 1;
    // Advance past this record's own breaks, then past blank lines.
    while (breaks > 0 && position < text.length) {
      const next = text.indexOf('\n', position);
      if (next === -1) break;
      position = next + 1;
      breaks -= 1;
      line += 1;
    }
    while (text[position] === '\n') {
      position += 1;
      line += 1;
    }
  }
  return line;
}
