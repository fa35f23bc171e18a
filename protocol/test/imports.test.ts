import { describe, expect, it } from 'vitest';
import type { GatehouseError } from '../src';
import {
  detectDelimiter,
  guessImportPreset,
  ImportTextDecoder,
  importMatchKey,
  presetMapping,
  readImportRow,
  resolveImportMapping,
  ticketTypeResolver,
} from '../src';

const EVENTBRITE = [
  'Order #',
  'Order Date',
  'First Name',
  'Last Name',
  'Email',
  'Quantity',
  'Ticket Type',
  'Attendee #',
];
const PRETIX = [
  'Order code',
  'Position ID',
  'Status',
  'Email',
  'Order date',
  'Product',
  'Attendee name',
  'Attendee email',
];
const PRETIX_OLD = ['Order code', 'Position ID', 'Product', 'Attendee name', 'E-mail'];

describe('import presets', () => {
  it('guesses the tool from its header, most specific first', () => {
    expect(guessImportPreset(EVENTBRITE)).toBe('eventbrite');
    expect(guessImportPreset(PRETIX)).toBe('pretix');
    expect(guessImportPreset(['Name', 'EMAIL', 'Ticket_Type'])).toBe('plain');
    expect(guessImportPreset(['Guest', 'Mail'])).toBeNull();
  });

  it("maps each tool's columns, pretix's external id joining order code and position", () => {
    expect(presetMapping('eventbrite', EVENTBRITE)).toEqual({
      firstName: 'First Name',
      lastName: 'Last Name',
      email: 'Email',
      ticketType: 'Ticket Type',
      externalId: ['Attendee #'],
      orderDate: 'Order Date',
    });
    expect(presetMapping('pretix', PRETIX)).toEqual({
      name: 'Attendee name',
      email: 'Attendee email',
      ticketType: 'Product',
      externalId: ['Order code', 'Position ID'],
      orderDate: 'Order date',
    });
    expect(presetMapping('pretix', PRETIX_OLD).email).toBe('E-mail');
    expect(presetMapping('plain', ['name', 'email', 'ticket_type', 'external_id'])).toEqual({
      name: 'name',
      email: 'email',
      ticketType: 'ticket_type',
      externalId: ['external_id'],
    });
  });

  it('refuses a mapping naming a missing column, or a file no preset fits, with IMPORT_MAPPING_INVALID', () => {
    const fail = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return (error as GatehouseError).code;
      }
      return 'no error';
    };
    expect(fail(() => resolveImportMapping(['Guest'], {}))).toBe('IMPORT_MAPPING_INVALID');
    expect(fail(() => resolveImportMapping(['Guest'], { mapping: { name: 'Name' } }))).toBe('IMPORT_MAPPING_INVALID');
    expect(resolveImportMapping(['Guest'], { mapping: { name: 'Guest' } })).toEqual({ name: 'Guest' });
  });
});

describe('reading a row by the mapping', () => {
  const headers = ['First Name', 'Last Name', 'Email', 'Ticket Type', 'Attendee #'];
  const mapping = presetMapping('eventbrite', headers) as Parameters<typeof readImportRow>[3];

  it('joins first and last name, normalises the email, keeps the external id', () => {
    expect(readImportRow([' Zoë ', 'Ferrant', 'Zoe.Ferrant@Example.TEST', 'VIP', '77'], 4, headers, mapping)).toEqual({
      line: 4,
      name: 'Zoë Ferrant',
      email: 'zoe.ferrant@example.test',
      ticketType: 'VIP',
      externalId: '77',
      orderDate: null,
    });
  });

  it('names the line and column of a bad email, an empty name, a row without email or id, a short row', () => {
    expect(readImportRow(['A', 'B', 'nope', 'VIP', '1'], 9, headers, mapping)).toMatchObject({
      line: 9,
      column: 'Email',
      code: 'IMPORT_ROW_INVALID',
    });
    expect(readImportRow(['', ' ', 'a@example.test', 'VIP', '1'], 3, headers, mapping)).toMatchObject({
      column: 'First Name',
      code: 'IMPORT_ROW_INVALID',
    });
    expect(readImportRow(['A', 'B', '', 'VIP', ''], 5, headers, mapping)).toMatchObject({
      code: 'IMPORT_ROW_UNMATCHABLE',
    });
    expect(readImportRow(['A', 'B'], 6, headers, mapping)).toMatchObject({ line: 6, code: 'IMPORT_ROW_INVALID' });
  });

  it('matches by external id, else by email and folded name', () => {
    expect(importMatchKey({ externalId: '77', email: 'a@x.test', name: 'A' })).toBe('x:77');
    expect(importMatchKey({ externalId: null, email: 'a@x.test', name: 'Zoë FERRANT' })).toBe(
      importMatchKey({ externalId: null, email: 'a@x.test', name: 'zoe ferrant' }),
    );
  });

  it('resolves ticket types by id or folded name; a single type is the default', () => {
    const resolve = ticketTypeResolver([
      { id: 'ga', name: 'General Admission' },
      { id: 'vip', name: 'VIP' },
    ]);
    expect([resolve('general admission'), resolve('Vìp'), resolve('ga'), resolve('Balcony'), resolve(null)]).toEqual([
      'ga',
      'vip',
      'ga',
      null,
      null,
    ]);
    expect(ticketTypeResolver([{ id: 'only', name: 'Entry' }])(null)).toBe('only');
  });
});

describe('delimiter and encoding', () => {
  it('takes `;` or `,`, whichever the header has more of outside quotes', () => {
    expect(detectDelimiter('name;email;ticket_type\n')).toBe(';');
    expect(detectDelimiter('name,email,"a;b;c"\n')).toBe(',');
    expect(detectDelimiter('"Name, full";Email\n')).toBe(';');
    expect(detectDelimiter('name')).toBe(',');
  });

  it('reads UTF-8 split anywhere inside a character', () => {
    const bytes = new TextEncoder().encode('Zoë Węndt €');
    for (let cut = 1; cut < bytes.length; cut++) {
      const decoder = new ImportTextDecoder('auto');
      const text = decoder.decode(bytes.subarray(0, cut)) + decoder.decode(bytes.subarray(cut), true);
      expect(text, `cut at ${cut}`).toBe('Zoë Węndt €');
      expect(decoder.current).toBe('utf-8');
    }
  });

  it('switches to Windows-1252 on a non-UTF-8 byte after ASCII, decoding its 0x80–0x9F range', () => {
    const decoder = new ImportTextDecoder('auto');
    const ascii = decoder.decode(new TextEncoder().encode('name\n'));
    const latin = decoder.decode(Uint8Array.from([0x4a, 0x6f, 0x73, 0xe9, 0x20, 0x8c, 0x80]), true);
    expect(ascii + latin).toBe('name\nJosé Œ€');
    expect(decoder.current).toBe('windows-1252');
  });

  it('refuses UTF-8 followed by Windows-1252 bytes, and bad UTF-8 when UTF-8 is asked for', () => {
    const mixed = new ImportTextDecoder('auto');
    mixed.decode(new TextEncoder().encode('Zoë\n'));
    expect(() => mixed.decode(Uint8Array.from([0x4a, 0xe9, 0x0a]), true)).toThrow(
      expect.objectContaining({ code: 'IMPORT_ENCODING_INVALID' }),
    );
    const oneChunk = new ImportTextDecoder('auto');
    expect(() => oneChunk.decode(Uint8Array.from([0xc3, 0xab, 0x0a, 0xe9, 0x0a]), true)).toThrow(
      expect.objectContaining({ code: 'IMPORT_ENCODING_INVALID' }),
    );
    expect(() => new ImportTextDecoder('utf-8').decode(Uint8Array.from([0xe9]), true)).toThrow(
      expect.objectContaining({ code: 'IMPORT_ENCODING_INVALID' }),
    );
  });
});
