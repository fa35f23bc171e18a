import { describe, expect, it } from 'vitest';
import { previewImport } from '../imports/preview';

const event = {
  ticketTypes: [
    { id: 'ga', name: 'General Admission', price: 0, quota: 10 },
    { id: 'vip', name: 'VIP', price: 0, quota: 10 },
  ],
};
const bytes = (text: string) => new TextEncoder().encode(text);

describe('the import preview (core)', () => {
  it('detects the preset, maps its columns and marks problems by line and column, blank lines and quoted newlines counted', () => {
    const csv =
      'name;email;ticket_type\r\n"Åsa\r\nNordström";asa@example.test;VIP\r\n\r\nLéon;not-an-email;VIP\r\nIda;ida@example.test;Balcony\r\n';
    const preview = previewImport(bytes(csv), { complete: true, encoding: 'auto', event });
    expect(preview).toMatchObject({ delimiter: ';', encoding: 'utf-8', preset: 'plain', mappingProblem: null });
    expect(
      preview.rows.map((row) => [
        row.line,
        row.name,
        row.ticketType,
        row.problem?.code ?? null,
        row.problem?.column ?? null,
      ]),
    ).toEqual([
      [2, 'Åsa\nNordström', 'VIP', null, null],
      [5, null, null, 'IMPORT_ROW_INVALID', 'email'],
      [6, 'Ida', null, 'IMPORT_UNKNOWN_TICKET_TYPE', 'ticket_type'],
    ]);
  });

  it('leaves out the line the head cut off, and says what a mapping lacks', () => {
    const head = 'Guest,Mail\nNoor Vale,noor@example.test\nCut Off,cu';
    const preview = previewImport(bytes(head), { complete: false, encoding: 'auto', event });
    expect(preview.rows.map((row) => [row.cells, row.name])).toEqual([[['Noor Vale', 'noor@example.test'], null]]);
    expect(preview.mappingProblem).toContain('match no preset');
    const mapped = previewImport(bytes(head), {
      complete: false,
      encoding: 'auto',
      event,
      mapping: { name: 'Guest', email: 'Mail' },
    });
    expect(mapped.rows.map((row) => row.name)).toEqual(['Noor Vale']);
    expect(mapped.mappingProblem).toBe('Choose the ticket type column: this event has several ticket types');
  });
});
