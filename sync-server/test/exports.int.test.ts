import { randomUUID } from 'node:crypto';
import { ATTENDEE_EXPORT_COLUMNS, CHECKIN_EXPORT_COLUMNS, type Booking, type Event } from '@gatehouse/protocol';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { testStoreKind, type TestServer } from '../../tests/support/server';
import type { SignedIn } from '../../tests/support/users';
import { createEvent, createStaffedEvent, serverWithCastForTests, type Cast } from './events-fixtures';
import { SimDevice } from './sync-fixtures';

/**
 * The CSV exports (issue #20 part 2) over real HTTP, on both stores: what they hold (BOM, header,
 * rows, door state, times in the event's zone, formula cells escaped), who may have them, and that
 * a large event is streamed — the first bytes reach the client while the server is still reading.
 */
let server: TestServer;
let cast: Cast;

serverWithCastForTests((started) => ({ server, cast } = started));

const BOM = [0xef, 0xbb, 0xbf];

type Download = { status: number; bytes: Uint8Array; headers: Headers; text: string };

/** The raw answer: fetch's text() would drop the BOM this test checks. */
async function download(who: SignedIn, path: string): Promise<Download> {
  const response = await fetch(server.baseUrl + path, {
    headers: { ...who.api.defaultHeaders, authorization: `Bearer ${who.api.accessToken}` },
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, bytes, headers: response.headers, text: new TextDecoder('utf-8').decode(bytes) };
}

/** Records of a CSV body (BOM and header checked by the callers). */
function recordsOf(text: string): Record<string, string>[] {
  return parse(text, { bom: true, columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

async function walkIn(event: Event, name: string, email?: string): Promise<Booking> {
  const answer = await cast.organizer.api.post<Booking>(`/events/${event.id}/bookings`, {
    ticketTypeId: event.ticketTypes[1]!.id,
    attendee: email ? { name, email } : { name },
  });
  expect(answer.status).toBe(201);
  return answer.body;
}

describe('exports', () => {
  it('attendees: BOM, header, one row per booking with door state, zone offsets and formula cells escaped', async () => {
    // Asia/Kolkata is +05:30 all year: the offset printed does not depend on when the test runs.
    const event = await createStaffedEvent(cast, { title: 'Zoë’s Gala / Night', timezone: 'Asia/Kolkata' });
    const left = await walkIn(event, 'Lena Left', 'lena@example.test');
    const inside = await walkIn(event, '=HYPERLINK("http://evil.test","x")');
    const undone = await walkIn(event, '+Plus -Minus');
    const never = await walkIn(event, '@Sum, "quoted"');
    // A leading tab or CR never gets past the name's trimming; exports-csv.test.ts covers those.
    const minus = await walkIn(event, '-42 Minus');
    const device = new SimDevice(cast.staff.api);
    const undoneEntry = device.checkin(event.id, undone.id, 'in', 'South');
    const results = await device.push([
      device.checkin(event.id, left.id, 'in'),
      device.checkin(event.id, left.id, 'out'),
      device.checkin(event.id, inside.id, 'in'),
      undoneEntry,
      device.mutation('checkin.void', {
        id: randomUUID(),
        eventId: event.id,
        checkinId: (undoneEntry.args as { id: string }).id,
        bookingId: undone.id,
        gate: 'South',
        voidedAt: new Date().toISOString(),
      }),
    ]);
    expect(results.results.map((result) => result.status)).toEqual(Array(5).fill('applied'));

    const file = await download(cast.organizer, `/events/${event.id}/exports/attendees.csv`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const disposition = file.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment; filename="zoe-s-gala-night-\d{4}-\d{2}-\d{2}-attendees\.csv"/);
    expect([...file.bytes.slice(0, 3)]).toEqual(BOM);
    expect(file.text.split('\r\n')[0]).toBe(ATTENDEE_EXPORT_COLUMNS.join(','));

    const rows = recordsOf(file.text);
    expect(rows.map((row) => row.code)).toEqual([left, inside, undone, never, minus].map((booking) => booking.code));
    const byCode = new Map(rows.map((row) => [row.code, row]));
    expect(byCode.get(left.code)).toMatchObject({
      name: 'Lena Left',
      email: 'lena@example.test',
      ticketType: 'VIP',
      quantity: '1',
      status: 'confirmed',
      source: 'walkIn',
      overCapacity: 'no',
      checkedIn: 'left',
      erasedAt: '',
    });
    expect(byCode.get(inside.code)?.checkedIn).toBe('inside');
    expect(byCode.get(undone.code)).toMatchObject({ checkedIn: 'never', firstEntryAt: '', lastScanAt: '' });
    expect(byCode.get(never.code)?.checkedIn).toBe('never');
    // Formula injection: a leading apostrophe, so a spreadsheet shows the text instead of running it.
    expect(byCode.get(inside.code)?.name).toBe(`'=HYPERLINK("http://evil.test","x")`);
    expect(byCode.get(undone.code)?.name).toBe(`'+Plus -Minus`);
    expect(byCode.get(never.code)?.name).toBe(`'@Sum, "quoted"`);
    expect(byCode.get(minus.code)?.name).toBe(`'-42 Minus`);
    // Times on the event's clock, with its offset, the same instant to the second.
    const leftRow = byCode.get(left.code)!;
    for (const cell of [leftRow.createdAt, leftRow.firstEntryAt, leftRow.lastScanAt]) {
      expect(cell).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:30$/);
    }
    expect(Date.parse(leftRow.createdAt!)).toBe(Math.floor(Date.parse(left.createdAt) / 1000) * 1000);
    expect(Date.parse(leftRow.lastScanAt!)).toBeGreaterThanOrEqual(Date.parse(leftRow.firstEntryAt!));
  });

  it('check-in log: every scan and refusal in door order, undos naming their admission, refusals with reason', async () => {
    const event = await createStaffedEvent(cast, { timezone: 'UTC' });
    const guest = await walkIn(event, 'Gina Guest');
    const device = new SimDevice(cast.staff.api);
    const entry = device.checkin(event.id, guest.id, 'in', 'North');
    const entryId = (entry.args as { id: string }).id;
    const refusalId = randomUUID();
    const voidId = randomUUID();
    const results = await device.push([
      entry,
      device.mutation('scan.refuse', {
        id: refusalId,
        eventId: event.id,
        gate: 'North',
        direction: 'in',
        reason: 'alreadyInside',
        bookingId: guest.id,
        ticketEventId: null,
        scannedAt: new Date().toISOString(),
      }),
      device.mutation('checkin.void', {
        id: voidId,
        eventId: event.id,
        checkinId: entryId,
        bookingId: guest.id,
        gate: 'North',
        voidedAt: new Date().toISOString(),
      }),
      device.checkin(event.id, guest.id, 'in', 'East'),
      device.checkin(event.id, guest.id, 'out', 'East'),
    ]);
    expect(results.results.map((result) => result.status)).toEqual(Array(5).fill('applied'));

    const file = await download(cast.admin, `/events/${event.id}/exports/checkins.csv`);
    expect(file.status).toBe(200);
    expect([...file.bytes.slice(0, 3)]).toEqual(BOM);
    expect(file.text.split('\r\n')[0]).toBe(CHECKIN_EXPORT_COLUMNS.join(','));
    const rows = recordsOf(file.text);
    expect(rows.map((row) => row.kind)).toEqual(['entry', 'refused', 'undo', 'entry', 'exit']);
    expect(rows.map((row) => row.hlc)).toEqual([...rows.map((row) => row.hlc)].sort());
    expect(rows[0]).toMatchObject({
      checkinId: entryId,
      gate: 'North',
      direction: 'in',
      bookingCode: guest.code,
      attendeeName: 'Gina Guest',
      deviceId: device.deviceId,
      staffName: 'Sam Staff',
      reasonCode: '',
    });
    expect(rows[0]!.scannedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(rows[1]).toMatchObject({ checkinId: refusalId, reasonCode: 'alreadyInside', reason: 'Already inside' });
    expect(rows[2]).toMatchObject({ checkinId: voidId, direction: 'void', voidsCheckinId: entryId });
    expect(rows[4]).toMatchObject({ gate: 'East', direction: 'out', attendeeName: 'Gina Guest' });
  });

  it('only the organizer of the event or an admin: others are refused with a code, before any byte', async () => {
    const event = await createStaffedEvent(cast);
    const draft = await createEvent(cast.organizer.api, { status: 'draft' });
    for (const kind of ['attendees', 'checkins']) {
      const path = `/events/${event.id}/exports/${kind}.csv`;
      expect((await download(cast.organizer, path)).status).toBe(200);
      expect((await download(cast.admin, path)).status).toBe(200);
      for (const [who, status, code] of [
        [cast.staff, 403, 'FORBIDDEN'],
        [cast.attendee, 403, 'FORBIDDEN'],
        [cast.otherOrganizer, 403, 'FORBIDDEN'],
      ] as const) {
        const refused = await download(who, path);
        expect(refused.status, `${who.user.name} ${kind}`).toBe(status);
        expect(JSON.parse(refused.text)).toMatchObject({ error: { code } });
      }
      const hidden = await download(cast.otherOrganizer, `/events/${draft.id}/exports/${kind}.csv`);
      expect(hidden.status).toBe(404);
      expect(JSON.parse(hidden.text)).toMatchObject({ error: { code: 'NOT_FOUND' } });
      const nobody = await fetch(`${server.baseUrl}${path}`);
      expect(nobody.status).toBe(401);
    }
  });

  it('a large event is streamed: the first rows arrive while the server is still reading later pages', async () => {
    const event = await createEvent(cast.organizer.api, { capacity: 100_000 });
    // FerretDB scans the whole collection for every page's range (its figures are not MongoDB's):
    // there a smaller event still spans several pages, which is all the gate below needs.
    const total = testStoreKind() === 'mongodb' ? 1_600 : 20_000;
    const createdBase = Date.parse('2026-01-01T00:00:00Z');
    const rows = Array.from({ length: total }, (_, n) => ({
      id: randomUUID(),
      eventId: event.id,
      userId: cast.organizer.user.id,
      ticketTypeId: event.ticketTypes[0]!.id,
      quantity: 1,
      attendee: { name: `Guest ${String(n).padStart(5, '0')}`, email: `guest${n}@example.test` },
      source: 'walkIn' as const,
      createdAt: new Date(createdBase + n * 1000).toISOString(),
      code: `L${String(n).padStart(7, '0')}`,
    }));
    for (let start = 0; start < total; start += 5000) {
      await server.ctx.store.bookings.importMany(event.id, rows.slice(start, start + 5000));
    }

    // Hold the store's third page until the client has its first bytes: a server that buffered the
    // whole file before answering would never send them, and this test would time out.
    const bookings = server.ctx.store.bookings;
    const original = bookings.listForEvent;
    let pages = 0;
    let releaseGate!: () => void;
    const gate = new Promise<void>((resolve) => (releaseGate = resolve));
    let pagesWhenFirstBytes = -1;
    bookings.listForEvent = async (...args) => {
      pages += 1;
      if (pages === 3) await gate;
      return original.apply(bookings, args);
    };
    try {
      const response = await fetch(`${server.baseUrl}/events/${event.id}/exports/attendees.csv`, {
        headers: { authorization: `Bearer ${cast.organizer.api.accessToken}` },
      });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const chunks: Uint8Array[] = [];
      const first = await reader.read();
      pagesWhenFirstBytes = pages;
      chunks.push(first.value!);
      releaseGate();
      for (;;) {
        const next = await reader.read();
        if (next.done) break;
        chunks.push(next.value);
      }
      expect(pagesWhenFirstBytes).toBeLessThanOrEqual(3);
      const text = new TextDecoder().decode(Buffer.concat(chunks));
      const records = recordsOf(text);
      expect(records).toHaveLength(total);
      expect(records.map((record) => record.code)).toEqual(rows.map((row) => row.code));
      expect(pages).toBe(Math.ceil(total / 500));
    } finally {
      releaseGate();
      bookings.listForEvent = original;
    }
  }, 180_000);
});
