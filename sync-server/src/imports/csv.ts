import { Readable } from 'node:stream';
import {
  detectDelimiter,
  GatehouseError,
  IMPORT_LIMITS,
  ImportTextDecoder,
  type ImportEncoding,
} from '@gatehouse/protocol';
import { CsvError, parse } from 'csv-parse';

/** One CSV record and the line of the file it starts on (1 = the header). */
export type CsvRecord = { line: number; fields: string[] };

/** A CSV file being read: its header, then its records as they arrive. */
export type CsvReader = {
  headers: string[];
  delimiter: ',' | ';';
  records: AsyncIterable<CsvRecord>;
  /** The encoding read (settled once the file is read: `auto` may switch on a late byte). */
  encoding: () => 'utf-8' | 'windows-1252';
  /** Bytes read so far. */
  bytes: () => number;
};

type Limits = Pick<typeof IMPORT_LIMITS, 'maxBytes' | 'maxColumns' | 'maxRecordChars'>;

const tooLarge = (maxBytes: number) =>
  new GatehouseError(
    'IMPORT_TOO_LARGE',
    `The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB; split it into several imports`,
  );

/** Bytes → text, counting and capping the bytes; CRLF is made LF (see `openCsv`). */
async function* decodedText(
  source: AsyncIterable<Uint8Array>,
  decoder: ImportTextDecoder,
  counter: { bytes: number },
  maxBytes: number,
): AsyncGenerator<string> {
  let heldCr = false;
  const normalise = (text: string, last: boolean): string => {
    let joined = heldCr ? `\r${text}` : text;
    heldCr = !last && joined.endsWith('\r');
    if (heldCr) joined = joined.slice(0, -1);
    return joined.includes('\r\n') ? joined.replaceAll('\r\n', '\n') : joined;
  };
  for await (const chunk of source) {
    counter.bytes += chunk.length;
    if (counter.bytes > maxBytes) throw tooLarge(maxBytes);
    const text = normalise(decoder.decode(chunk), false);
    if (text.length > 0) yield text;
  }
  const rest = normalise(decoder.decode(new Uint8Array(0), true), true);
  if (rest.length > 0) yield rest;
}

/** csv-parse's errors as ours: the code IMPORT_MALFORMED, the line in the message and the details. */
function malformed(error: CsvError, line: number): GatehouseError {
  const what =
    error.code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'a quoted field is never closed'
      : error.code === 'CSV_INVALID_CLOSING_QUOTE'
        ? 'a quote inside a field is not doubled ("")'
        : error.code === 'CSV_MAX_RECORD_SIZE'
          ? `a row is longer than ${IMPORT_LIMITS.maxRecordChars} characters (a quote left open?)`
          : error.message;
  return new GatehouseError('IMPORT_MALFORMED', `The CSV cannot be read at line ${line}: ${what}`, [
    { path: `line ${line}`, message: what },
  ]);
}

function newlinesIn(fields: readonly string[]): number {
  let count = 0;
  for (const field of fields) {
    for (let index = field.indexOf('\n'); index !== -1; index = field.indexOf('\n', index + 1)) count += 1;
  }
  return count;
}

/**
 * Opens a CSV stream for reading: the bytes are decoded (UTF-8 with or without BOM, or
 * Windows-1252; `ImportTextDecoder`), the delimiter (`;` or `,`) is taken from the header line,
 * and records are parsed by csv-parse as the bytes arrive, never holding the file in memory.
 * Line ends are made LF first, so csv-parse's line count is the file's (it counts a CRLF inside
 * quotes twice). Errors, thrown here or while iterating: IMPORT_TOO_LARGE, IMPORT_EMPTY,
 * IMPORT_MALFORMED (with the line), IMPORT_TOO_MANY_COLUMNS, IMPORT_ENCODING_INVALID.
 */
export async function openCsv(
  source: AsyncIterable<Uint8Array>,
  options: { encoding: ImportEncoding; limits?: Limits },
): Promise<CsvReader> {
  const limits = options.limits ?? IMPORT_LIMITS;
  const decoder = new ImportTextDecoder(options.encoding);
  const counter = { bytes: 0 };
  const text = decodedText(source, decoder, counter, limits.maxBytes)[Symbol.asyncIterator]();
  let head = '';
  while (!head.includes('\n') && head.length < 64 * 1024) {
    const next = await text.next();
    if (next.done) break;
    head += next.value;
  }
  if (head.replace(/^\uFEFF/, '').trim().length === 0) {
    throw new GatehouseError('IMPORT_EMPTY', 'The file is empty');
  }
  const delimiter = detectDelimiter(head.replace(/^\uFEFF/, ''));
  const parser = parse({
    delimiter,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    max_record_size: limits.maxRecordChars,
  });
  const rest = async function* (): AsyncGenerator<string> {
    yield head;
    for (;;) {
      const next = await text.next();
      if (next.done) return;
      yield next.value;
    }
  };
  const input = Readable.from(rest());
  // Our own errors (too large, encoding) end the parse with the same error.
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  const iterator = (parser as AsyncIterable<{ record: string[]; info: { lines: number } }>)[Symbol.asyncIterator]();
  let lastLine = 0;
  const nextRecord = async (): Promise<CsvRecord | null> => {
    let next: IteratorResult<{ record: string[]; info: { lines: number } }>;
    try {
      next = await iterator.next();
    } catch (error) {
      if (error instanceof CsvError) {
        const line =
          typeof (error as CsvError & { lines?: number }).lines === 'number'
            ? (error as CsvError & { lines: number }).lines
            : lastLine + 1;
        throw malformed(error, line);
      }
      throw error;
    }
    if (next.done) return null;
    const fields = next.value.record;
    const line = next.value.info.lines - newlinesIn(fields);
    lastLine = next.value.info.lines;
    return { line, fields };
  };
  const header = await nextRecord();
  if (!header) throw new GatehouseError('IMPORT_EMPTY', 'The file is empty');
  if (header.fields.length > limits.maxColumns) {
    input.destroy();
    throw new GatehouseError(
      'IMPORT_TOO_MANY_COLUMNS',
      `The file has ${header.fields.length} columns; at most ${limits.maxColumns} are read`,
    );
  }
  return {
    headers: header.fields.map((field) => field.trim()),
    delimiter,
    encoding: () => decoder.current,
    bytes: () => counter.bytes,
    records: {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const record = await nextRecord();
          return record ? { done: false, value: record } : { done: true, value: undefined };
        },
        return: async () => {
          input.destroy();
          return { done: true, value: undefined };
        },
      }),
    },
  };
}
