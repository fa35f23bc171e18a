import { z } from 'zod';
import { GatehouseError } from '../errors';

/**
 * Reading an import file's bytes as text (issue #20, part 1): the delimiter of its header line, and
 * UTF-8 (with or without BOM) told from Windows-1252 as chunks arrive.
 */

/** How the file's bytes are read: `auto` tells UTF-8 (with or without BOM) from Windows-1252. */
export const IMPORT_ENCODINGS = ['auto', 'utf-8', 'windows-1252'] as const;
export const importEncodingSchema = z.enum(IMPORT_ENCODINGS);
export type ImportEncoding = z.infer<typeof importEncodingSchema>;

/**
 * `;` or `,`, whichever the header line has more of outside quotes (Excel in much of Europe
 * writes `;`). A header with neither is one column: `,`.
 */
export function detectDelimiter(headerLine: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const character of headerLine) {
    if (character === '"') quoted = !quoted;
    else if (!quoted && character === ',') commas += 1;
    else if (!quoted && character === ';') semicolons += 1;
    else if (!quoted && (character === '\n' || character === '\r')) break;
  }
  return semicolons > commas ? ';' : ',';
}

/** The length of an incomplete UTF-8 sequence at the end of `bytes` (0–3), held back for the next chunk. */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? back : 0;
  }
  return 0;
}

/** Whether the bytes hold a well-formed UTF-8 multi-byte sequence (text that is UTF-8, not Windows-1252). */
function hasUtf8Sequence(bytes: Uint8Array): boolean {
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    if (byte < 0xc2 || byte > 0xf4) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    let continued = true;
    for (let next = 1; next < length; next++) {
      const following = bytes[index + next];
      if (following === undefined || (following & 0xc0) !== 0x80) continued = false;
    }
    if (continued) return true;
  }
  return false;
}

function hasHighBytes(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte >= 0x80) return true;
  return false;
}

/**
 * Decodes a file's bytes chunk by chunk. `auto` reads UTF-8 (with or without a BOM) until a byte
 * sequence is not UTF-8; if everything before was ASCII — where the two agree — it reads the
 * whole file as Windows-1252 (Excel's "CSV" on Windows), otherwise the file mixes encodings:
 * IMPORT_ENCODING_INVALID (also when the chunk itself holds well-formed UTF-8 sequences beside
 * the bad bytes). The BOM is left in the text for the CSV parser to drop.
 */
export class ImportTextDecoder {
  private mode: 'utf-8' | 'windows-1252';
  private carry: Uint8Array = new Uint8Array(0);
  private sawNonAscii = false;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private readonly latin = { decode: decodeWindows1252 };

  constructor(private readonly encoding: ImportEncoding = 'auto') {
    this.mode = encoding === 'windows-1252' ? 'windows-1252' : 'utf-8';
  }

  /** The encoding read so far (`auto` settles on the first non-UTF-8 byte). */
  get current(): 'utf-8' | 'windows-1252' {
    return this.mode;
  }

  /** Decodes one chunk; `last` flushes what was held back. */
  decode(chunk: Uint8Array, last = false): string {
    if (this.mode === 'windows-1252') return this.latin.decode(chunk);
    const bytes = this.carry.length > 0 ? concat(this.carry, chunk) : chunk;
    const tail = last ? 0 : incompleteTail(bytes);
    const body = tail > 0 ? bytes.subarray(0, bytes.length - tail) : bytes;
    this.carry = tail > 0 ? bytes.slice(bytes.length - tail) : new Uint8Array(0);
    try {
      const text = this.utf8.decode(body);
      if (!this.sawNonAscii && hasHighBytes(body)) this.sawNonAscii = true;
      return text;
    } catch {
      if (this.encoding === 'auto' && !this.sawNonAscii && !hasUtf8Sequence(bytes)) {
        this.mode = 'windows-1252';
        this.carry = new Uint8Array(0);
        return this.latin.decode(bytes);
      }
      throw new GatehouseError(
        'IMPORT_ENCODING_INVALID',
        this.encoding === 'auto'
          ? 'The file mixes UTF-8 with another encoding; save it again as UTF-8'
          : 'The file is not valid UTF-8; choose Windows-1252, or save it again as UTF-8',
      );
    }
  }
}

/**
 * Windows-1252's 0x80–0x9F (WHATWG encoding standard's index; the rest is Latin-1). Written out
 * because runtimes' `TextDecoder('windows-1252')` differ: Node's reads these bytes as Latin-1's
 * control characters, so "Œ" (0x8C) or "€" (0x80) would be lost.
 */
const WINDOWS_1252_HIGH =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

function decodeWindows1252(bytes: Uint8Array): string {
  let text = '';
  for (let start = 0; start < bytes.length; start += 8192) {
    const part = bytes.subarray(start, Math.min(bytes.length, start + 8192));
    const codes = new Array<number>(part.length);
    for (let index = 0; index < part.length; index++) {
      const byte = part[index]!;
      codes[index] = byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_HIGH.charCodeAt(byte - 0x80) : byte;
    }
    text += String.fromCharCode(...codes);
  }
  return text;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}
