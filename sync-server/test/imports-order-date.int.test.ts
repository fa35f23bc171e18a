import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventBucket, type Booking, type Event, type ImportSummary } from '@gatehouse/protocol';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../tests/support/server';
import { createEvent, startServerWithCast, type Cast } from './events-fixtures';
import { bookingsOf, changesOf } from './store-inspect';

/**
 * The order date of a CSV import (issue #20): read by each preset's format, a date without an
 * offset on the event's clock, kept on the booking as `orderedAt` (UTC), refused with line and
 * column when it is no date, updated by a re-import, carried to devices in the booking doc and
 * written to the attendees export on the event's clock. Both stores.
 */
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'imports');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));

let server: TestServer;
let cast: Cast;
beforeAll(async () => {
  ({ server, cast } = await startServerWithCast());
});
afterAll(async () => {
  await server.close();
});

async function postCsv(eventId: string, body: string | Buffer): Promise<ImportSummary> {
  const response = await fetch(`${server.baseUrl}/events/${eventId}/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cast.organizer.accessToken}`, 'content-type': 'text/csv' },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const answer = (await response.json()) as ImportSummary;
  expect(response.status, JSON.stringify(answer)).toBe(200);
  return answer;
}

/** An event on New York's clock (UTC−5 in March), so a date without offset shows where it is read. */
function importEvent(): Promise<Event> {
  return createEvent(cast.organizer.api, {
    timezone: 'America/New_York',
    capacity: 100,
    ticketTypes: [
      { name: 'General Admission', price: 2500, quota: 80 },
      { name: 'VIP', price: 9000, quota: 20 },
    ],
  });
}

const orderedAtOf = async (eventId: string) =>
  Object.fromEntries((await bookingsOf(server, eventId)).map((row) => [row.attendee.name, row.orderedAt ?? null]));

describe('CSV import: the order date', () => {
  it("Eventbrite's `Order Date` with its offset, pretix's `Order date` on the event's clock", async () => {
    const eventbrite = await importEvent();
    expect(await postCsv(eventbrite.id, fixture('eventbrite-attendees.csv'))).toMatchObject({
      created: 4,
      refused: 0,
      mapping: { orderDate: 'Order Date' },
    });
    expect((await orderedAtOf(eventbrite.id))['Wren Halloway']).toBe('2026-03-02T17:14:55.000Z');

    const pretix = await importEvent();
    expect(await postCsv(pretix.id, fixture('pretix-positions.csv'))).toMatchObject({
      created: 3,
      mapping: { orderDate: 'Order date' },
    });
    // 2026-03-02 at midnight in New York (EST, UTC−5).
    expect((await orderedAtOf(pretix.id))['Ilse Brandvold']).toBe('2026-03-02T05:00:00.000Z');
  });

  it('a plain sheet: ordered_at optional per row, a bad date refused IMPORT_DATE_INVALID with line and column', async () => {
    const event = await importEvent();
    const csv = [
      'name,email,ticket_type,ordered_at',
      'Ada Orr,ada@example.test,VIP,2026-03-02 10:00',
      'Bo Orr,bo@example.test,VIP,next tuesday',
      'Cy Orr,cy@example.test,VIP,',
      'Di Orr,di@example.test,VIP,2026-02-30',
      'Ed Orr,ed@example.test,VIP,2026-03-02T10:00:00Z',
    ].join('\n');
    const summary = await postCsv(event.id, csv);
    expect(summary).toMatchObject({ created: 3, refused: 2 });
    expect(summary.refusals.map(({ line, column, code }) => ({ line, column, code }))).toEqual([
      { line: 3, column: 'ordered_at', code: 'IMPORT_DATE_INVALID' },
      { line: 5, column: 'ordered_at', code: 'IMPORT_DATE_INVALID' },
    ]);
    expect(await orderedAtOf(event.id)).toEqual({
      'Ada Orr': '2026-03-02T15:00:00.000Z',
      'Cy Orr': null,
      'Ed Orr': '2026-03-02T10:00:00.000Z',
    });
  });

  it('a re-import with a changed order date updates it; one without the column keeps it; devices and the export see it', async () => {
    const event = await importEvent();
    const first = 'name,email,ticket_type,external_id,order date\nFay Orr,fay@example.test,VIP,F-1,2026-03-02\n';
    expect(await postCsv(event.id, first)).toMatchObject({ created: 1 });
    const changed = first.replace('2026-03-02', '2026-03-04 18:30:00');
    expect(await postCsv(event.id, changed)).toMatchObject({ updated: 1 });
    expect(await orderedAtOf(event.id)).toEqual({ 'Fay Orr': '2026-03-04T23:30:00.000Z' });
    expect(await postCsv(event.id, changed)).toMatchObject({ unchanged: 1 });
    expect(
      await postCsv(event.id, 'name,email,ticket_type,external_id\nFay Orr,fay@example.test,VIP,F-1\n'),
    ).toMatchObject({ unchanged: 1 });
    expect(await orderedAtOf(event.id)).toEqual({ 'Fay Orr': '2026-03-04T23:30:00.000Z' });

    const logged = (await changesOf(server, eventBucket(event.id))).filter((change) => change.type === 'booking');
    expect((logged.at(-1)!.doc as Booking).orderedAt).toBe('2026-03-04T23:30:00.000Z');

    const response = await fetch(`${server.baseUrl}/events/${event.id}/exports/attendees.csv`, {
      headers: { authorization: `Bearer ${cast.organizer.accessToken}` },
    });
    const rows = parse((await response.text()).replace(/^\uFEFF/, ''), { columns: true }) as Array<
      Record<string, string>
    >;
    expect(rows[0]).toMatchObject({ name: 'Fay Orr', orderedAt: '2026-03-04T18:30:00-05:00' });
  });
});
