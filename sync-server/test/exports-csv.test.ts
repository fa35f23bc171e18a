import type { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvStream, exportFileName, zonedTime, type CsvRecord } from '../src/exports/csv';

async function csvOf(records: CsvRecord[]): Promise<Buffer> {
  async function* source() {
    yield* records;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of csvStream(['a', 'b'], source()) as Readable) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

describe('export CSV', () => {
  it('starts with a BOM and the header; escapes every formula lead-in (= + - @ tab CR) with an apostrophe', async () => {
    const bytes = await csvOf([
      { a: '=1+1', b: '+SUM(A1)' },
      { a: '-3', b: '@cmd' },
      { a: '\tTab', b: '\rCR' },
      { a: 'plain, "quoted"', b: true },
      { a: null, b: false },
      { a: 'Zoë', b: 7 },
    ]);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.split('\r\n')[0]).toBe('a,b');
    const rows = parse(text, { columns: true }) as Array<{ a: string; b: string }>;
    expect(rows).toEqual([
      { a: "'=1+1", b: "'+SUM(A1)" },
      { a: "'-3", b: "'@cmd" },
      { a: "'\tTab", b: "'\rCR" },
      { a: 'plain, "quoted"', b: 'yes' },
      { a: '', b: 'no' },
      { a: 'Zoë', b: '7' },
    ]);
  });

  it('prints instants on the event clock with its offset, and names files with safe characters', () => {
    expect(zonedTime('2026-12-12T18:05:07.123Z', 'Europe/Berlin')).toBe('2026-12-12T19:05:07+01:00');
    expect(zonedTime('2026-07-12T18:05:07Z', 'Europe/Berlin')).toBe('2026-07-12T20:05:07+02:00');
    expect(zonedTime(null, 'UTC')).toBe('');
    expect(
      exportFileName(
        { title: 'Zoë’s "Gala" / Night ../..', startsAt: '2026-12-12T23:30:00Z', timezone: 'Asia/Tokyo' },
        'checkins',
      ),
    ).toBe('zoe-s-gala-night-2026-12-13-checkins.csv');
    expect(exportFileName({ title: '***', startsAt: '2026-12-12T10:00:00Z', timezone: 'UTC' }, 'attendees')).toBe(
      'event-2026-12-12-attendees.csv',
    );
  });
});
