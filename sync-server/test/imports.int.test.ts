import { mkdtempSync, readFileSync, rmSync, statSync, createWriteStream, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { eventBucket, type Booking, type Event, type ImportSummary } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../tests/support/server';
import type { SignedIn } from '../../tests/support/users';
import { createEvent, startServerWithCast, type Cast } from './events-fixtures';
import { bookingsOf } from './store-inspect';
import { SimDevice } from './sync-fixtures';

/**
 * CSV import of attendees (POST /events/:id/imports) over real HTTP, on both stores: the three
 * presets' fixtures (invented people), re-imports that update instead of duplicating, matching by
 * external id and by email + name, capacity and quota with refused rows reported, encodings and
 * delimiters, every bad input of the issue — each a clear code, nothing half-imported — and the
 * imported bookings reaching a device through /sync/pull.
 */
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'imports');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));

let server: TestServer;
let cast: Cast;
let scratch: string;

beforeAll(async () => {
  ({ server, cast } = await startServerWithCast());
  scratch = mkdtempSync(path.join(tmpdir(), 'gatehouse-imports-'));
});
afterAll(async () => {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
});

type Answer = {
  status: number;
  body: ImportSummary & { error?: { code: string; message: string; details?: unknown[] } };
};

/** Posts a CSV body (bytes, text or a stream) as `text/csv`, as any HTTP client would. */
async function postCsv(
  who: SignedIn,
  eventId: string,
  body: string | Buffer | Readable,
  query: Record<string, string> = {},
  contentType = 'text/csv',
): Promise<Answer> {
  const search = new URLSearchParams(query).toString();
  const response = await fetch(`${server.baseUrl}/events/${eventId}/imports${search ? `?${search}` : ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${who.accessToken}`, 'content-type': contentType },
    body: body instanceof Readable ? (Readable.toWeb(body) as ReadableStream) : body,
    ...(body instanceof Readable ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Answer['body'] };
}

function importEvent(overrides: Record<string, unknown> = {}): Promise<Event> {
  return createEvent(cast.organizer.api, {
    capacity: 100,
    ticketTypes: [
      { name: 'General Admission', price: 2500, quota: 80 },
      { name: 'VIP', price: 9000, quota: 20 },
    ],
    ...overrides,
  });
}

const typeId = (event: Event, name: string) => event.ticketTypes.find((type) => type.name === name)!.id;
const byName = <T extends { attendee: { name: string } }>(rows: T[]): T[] =>
  [...rows].sort((a, b) => a.attendee.name.localeCompare(b.attendee.name));

describe('CSV import: the presets', () => {
  it('imports an Eventbrite attendee report (auto-detected), first and last name joined, Attendee # kept', async () => {
    const event = await importEvent();
    const answer = await postCsv(cast.organizer, event.id, fixture('eventbrite-attendees.csv'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ preset: 'eventbrite', rows: 4, created: 4, refused: 0, delimiter: ',' });
    const rows = byName(await bookingsOf(server, event.id));
    expect(rows.map((row) => [row.attendee.name, row.attendee.email, row.ticketTypeId, row.externalId])).toEqual([
      ['Ansel "Ace" Montrose', 'ace.montrose@example.test', typeId(event, 'General Admission'), '9981200014'],
      ['Milo Halloway', 'milo.halloway@example.test', typeId(event, 'General Admission'), '9981200012'],
      ['Wren Halloway', 'wren.halloway@example.test', typeId(event, 'General Admission'), '9981200011'],
      ['Zoë Ferrant', 'zoe.ferrant@example.test', typeId(event, 'VIP'), '9981200013'],
    ]);
    expect(rows.every((row) => row.source === 'import' && row.status === 'confirmed')).toBe(true);
    const stats = (await cast.organizer.api.get<Event>(`/events/${event.id}`)).body as Event & { bookedCount?: number };
    expect(stats.id).toBe(event.id);
  });

  it('imports pretix order positions: order code + position id as the external id, a quoted newline in a field', async () => {
    const event = await importEvent();
    const answer = await postCsv(cast.organizer, event.id, fixture('pretix-positions.csv'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ preset: 'pretix', rows: 3, created: 3, refused: 0 });
    const rows = byName(await bookingsOf(server, event.id));
    expect(rows.map((row) => [row.attendee.name, row.attendee.email ?? null, row.externalId])).toEqual([
      ['Ilse Brandvold', 'ilse.brandvold@example.test', 'QX7KD-1'],
      ['Kasia Węndt', 'kasia.wendt@example.test', 'RM2PA-1'],
      ['Teodor Brandvold', null, 'QX7KD-2'],
    ]);
  });

  it('imports a plain name/email/ticket type sheet, ticket types matched by folded name', async () => {
    const event = await importEvent();
    const answer = await postCsv(cast.organizer, event.id, fixture('plain.csv'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ preset: 'plain', rows: 3, created: 3, refused: 0 });
    const rows = byName(await bookingsOf(server, event.id));
    expect(rows.map((row) => row.ticketTypeId)).toEqual([
      typeId(event, 'General Admission'),
      typeId(event, 'General Admission'),
      typeId(event, 'VIP'),
    ]);
  });

  it('takes an explicit mapping of other headers, and refuses one naming a column the file lacks', async () => {
    const event = await importEvent();
    const csv = 'Guest,Mail,Kind,Ref\nNoor Vale,noor.vale@example.test,VIP,R-1\n';
    const mapping = JSON.stringify({ name: 'Guest', email: 'Mail', ticketType: 'Kind', externalId: ['Ref'] });
    const answer = await postCsv(cast.organizer, event.id, csv, { mapping });
    expect(answer.body).toMatchObject({ preset: null, created: 1 });
    expect((await bookingsOf(server, event.id))[0]).toMatchObject({
      externalId: 'R-1',
      ticketTypeId: typeId(event, 'VIP'),
    });
    const wrong = await postCsv(cast.organizer, event.id, csv, { mapping: JSON.stringify({ name: 'Nom' }) });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error?.code).toBe('IMPORT_MAPPING_INVALID');
    const unknown = await postCsv(cast.organizer, event.id, 'a,b\n1,2\n');
    expect(unknown.body.error?.code).toBe('IMPORT_MAPPING_INVALID');
  });
});

describe('CSV import: re-imports match instead of duplicating', () => {
  it('the same file again changes nothing; an edited one updates by external id', async () => {
    const event = await importEvent();
    const file = fixture('eventbrite-attendees.csv');
    await postCsv(cast.organizer, event.id, file);
    const before = await bookingsOf(server, event.id);
    const again = await postCsv(cast.organizer, event.id, file);
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 4, refused: 0 });
    const edited = file
      .toString('utf8')
      .replace('Wren,Halloway,wren.halloway@example.test', 'Wren,Halloway-Reyes,wren.hr@example.test')
      .replace('milo.halloway@example.test,1,,General Admission', 'milo.halloway@example.test,1,,VIP');
    const update = await postCsv(cast.organizer, event.id, edited);
    expect(update.body).toMatchObject({ created: 0, updated: 2, unchanged: 2 });
    const after = await bookingsOf(server, event.id);
    expect(after).toHaveLength(4);
    const wren = after.find((row) => row.externalId === '9981200011')!;
    expect(wren.attendee).toEqual({ name: 'Wren Halloway-Reyes', email: 'wren.hr@example.test' });
    expect(wren.id).toBe(before.find((row) => row.externalId === '9981200011')!.id);
    expect(wren.rev).toBe(2);
    expect(after.find((row) => row.externalId === '9981200012')!.ticketTypeId).toBe(typeId(event, 'VIP'));
    const counts = (await server.ctx.store.events.findById(event.id))!;
    expect(counts.bookedCount).toBe(4);
    expect(counts.typeSold).toEqual({ [typeId(event, 'General Admission')]: 2, [typeId(event, 'VIP')]: 2 });
  });

  it('matches by email and name (case and accents folded) when there is no external id, online bookings too', async () => {
    const event = await importEvent();
    const walkIn = await cast.organizer.api.post<Booking>(`/events/${event.id}/bookings`, {
      ticketTypeId: typeId(event, 'General Admission'),
      attendee: { name: 'Petra Lindqvist', email: 'petra.lindqvist@example.test' },
    });
    expect(walkIn.status).toBe(201);
    const first = await postCsv(cast.organizer, event.id, fixture('plain.csv'));
    expect(first.body).toMatchObject({ created: 2, unchanged: 1 });
    const changed =
      'name,email,ticket_type\nPETRA LINDQVÌST,Petra.Lindqvist@example.test,VIP\nHana Ishikura,hana.ishikura@example.test,vip\n';
    const second = await postCsv(cast.organizer, event.id, changed);
    expect(second.body).toMatchObject({ created: 0, updated: 2 });
    const rows = await bookingsOf(server, event.id);
    expect(rows).toHaveLength(3);
    expect(rows.find((row) => row.id === walkIn.body.id)).toMatchObject({
      ticketTypeId: typeId(event, 'VIP'),
      attendee: { name: 'PETRA LINDQVÌST' },
    });
    // Another person with the same email is someone else: added, not matched.
    const namesake = await postCsv(
      cast.organizer,
      event.id,
      'name,email\nErik Lindqvist,petra.lindqvist@example.test\n',
      {
        mapping: JSON.stringify({ name: 'name', email: 'email' }),
      },
    );
    expect(namesake.body.error?.code).toBe('IMPORT_MAPPING_INVALID'); // two ticket types: the column is needed
  });
});

describe('CSV import: capacity and quota', () => {
  it('rows beyond capacity are refused SOLD_OUT with their lines, and a re-run after raising it completes the import', async () => {
    const event = await importEvent({ capacity: 3, ticketTypes: [{ name: 'General Admission', price: 0, quota: 10 }] });
    const csv = ['name,email', ...[1, 2, 3, 4, 5].map((n) => `Guest ${n},guest${n}@example.test`)].join('\n');
    const first = await postCsv(cast.organizer, event.id, csv);
    expect(first.body).toMatchObject({ created: 3, refused: 2 });
    expect(first.body.refusals).toEqual(
      [
        { line: 5, code: 'SOLD_OUT', message: 'The event is full (capacity 3)' },
        { line: 6, code: 'SOLD_OUT', message: 'The event is full (capacity 3)' },
      ].map((refusal) => (server.ctx.store.kind === 'sqlite' ? refusal : { ...refusal, message: expect.any(String) })),
    );
    expect(await bookingsOf(server, event.id)).toHaveLength(3);
    expect((await cast.organizer.api.patch(`/events/${event.id}`, { capacity: 5 })).status).toBe(200);
    const second = await postCsv(cast.organizer, event.id, csv);
    expect(second.body).toMatchObject({ created: 2, unchanged: 3, refused: 0 });
    expect(await bookingsOf(server, event.id)).toHaveLength(5);
  });

  it("a ticket type's quota holds: VIP rows past it are refused, the others imported", async () => {
    const event = await importEvent({
      ticketTypes: [
        { name: 'General Admission', price: 0, quota: 10 },
        { name: 'VIP', price: 0, quota: 1 },
      ],
    });
    const csv =
      'name,email,ticket_type\nA One,a1@example.test,VIP\nB Two,b2@example.test,VIP\nC Three,c3@example.test,General Admission\n';
    const answer = await postCsv(cast.organizer, event.id, csv);
    expect(answer.body).toMatchObject({ created: 2, refused: 1 });
    expect(answer.body.refusals).toMatchObject([{ line: 3, code: 'SOLD_OUT' }]);
  });
});

describe('CSV import: encodings, delimiters, quoting', () => {
  it('reads UTF-8 with a BOM, `;` as delimiter, CRLF and quoted newlines, naming lines as the file has them', async () => {
    const event = await importEvent();
    const csv =
      '\uFEFFname;email;ticket_type\r\n"Åsa\r\nNordström";asa@example.test;VIP\r\n\r\nLéon Brûlé;leon@example.test;General Admission\r\nbad row;not-an-email;VIP\r\n';
    const answer = await postCsv(cast.organizer, event.id, Buffer.from(csv, 'utf8'));
    expect(answer.body).toMatchObject({ encoding: 'utf-8', delimiter: ';', created: 2, refused: 1 });
    expect(answer.body.refusals).toEqual([
      { line: 6, column: 'email', code: 'IMPORT_ROW_INVALID', message: '"not-an-email" is not an email address' },
    ]);
    expect(byName(await bookingsOf(server, event.id)).map((row) => row.attendee.name)).toEqual([
      'Åsa\nNordström',
      'Léon Brûlé',
    ]);
  });

  it('detects Windows-1252 (Excel on Windows) and decodes its accents', async () => {
    const event = await importEvent();
    const latin = Buffer.from(
      'name;email;ticket_type\r\nJosé Núñez;jose@example.test;VIP\r\nFrançoise Œuvray;francoise@example.test;VIP\r\n',
      'latin1',
    );
    // 'Œ' is 0x8C in Windows-1252 (not in Latin-1): write it as that byte.
    latin[latin.indexOf(Buffer.from('Françoise ', 'latin1')) + 10] = 0x8c;
    const answer = await postCsv(cast.organizer, event.id, latin);
    expect(answer.body).toMatchObject({ encoding: 'windows-1252', created: 2 });
    expect(byName(await bookingsOf(server, event.id)).map((row) => row.attendee.name)).toEqual([
      'Françoise Œuvray',
      'José Núñez',
    ]);
  });

  it('a file mixing UTF-8 and Windows-1252 is refused IMPORT_ENCODING_INVALID, nothing written', async () => {
    const event = await importEvent();
    const mixed = Buffer.concat([
      Buffer.from('name,email,ticket_type\nZoë Utf,zoe@example.test,VIP\n', 'utf8'),
      Buffer.from('José Latin,jose@example.test,VIP\n', 'latin1'),
    ]);
    const answer = await postCsv(cast.organizer, event.id, mixed);
    expect([answer.status, answer.body.error?.code]).toEqual([422, 'IMPORT_ENCODING_INVALID']);
    expect(await bookingsOf(server, event.id)).toEqual([]);
  });
});

describe('CSV import: bad input gets a clear code, and nothing is half-imported', () => {
  it('a 50 MB file: 413 IMPORT_TOO_LARGE, nothing written', async () => {
    const event = await importEvent();
    const file = path.join(scratch, 'big.csv');
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(file);
      out.on('error', reject);
      out.write('name,email,ticket_type\n');
      const line = `${'Large Person'.padEnd(60, 'x')},large@example.test,VIP\n`;
      const block = line.repeat(10_000);
      for (let written = 0; written < 50 * 1024 * 1024; written += block.length) out.write(block);
      out.end(resolve);
    });
    expect(statSync(file).size).toBeGreaterThan(50 * 1024 * 1024);
    const declared = await postCsv(cast.organizer, event.id, readFileSync(file));
    expect([declared.status, declared.body.error?.code]).toEqual([413, 'IMPORT_TOO_LARGE']);
    // Streamed without a Content-Length: cut off at the limit while reading.
    const streamed = await postCsv(cast.organizer, event.id, createReadStream(file));
    expect([streamed.status, streamed.body.error?.code]).toEqual([413, 'IMPORT_TOO_LARGE']);
    expect(await bookingsOf(server, event.id)).toEqual([]);
  });

  it('1,000 columns: IMPORT_TOO_MANY_COLUMNS', async () => {
    const event = await importEvent();
    const header = ['name', 'email', ...Array.from({ length: 998 }, (_, index) => `extra_${index}`)].join(',');
    const row = ['Wide Row', 'wide@example.test', ...Array.from({ length: 998 }, () => 'x')].join(',');
    const answer = await postCsv(cast.organizer, event.id, `${header}\n${row}\n`);
    expect([answer.status, answer.body.error?.code]).toEqual([422, 'IMPORT_TOO_MANY_COLUMNS']);
    expect(await bookingsOf(server, event.id)).toEqual([]);
  });

  it('broken quoting: IMPORT_MALFORMED naming the line, and the good rows before it are not written', async () => {
    const event = await importEvent();
    const good = Array.from({ length: 600 }, (_, index) => `Good ${index},good${index}@example.test,VIP`);
    const csv = [
      'name,email,ticket_type',
      ...good,
      'Bad "Quote,bad@example.test,VIP',
      'After,after@example.test,VIP',
    ].join('\n');
    const answer = await postCsv(cast.organizer, event.id, csv);
    expect([answer.status, answer.body.error?.code]).toEqual([422, 'IMPORT_MALFORMED']);
    expect(answer.body.error?.message).toContain('line 602');
    const unclosed = await postCsv(
      cast.organizer,
      event.id,
      'name,email,ticket_type\n"Never Closed,x@example.test,VIP\nNext,n@example.test,VIP\n',
    );
    expect([unclosed.status, unclosed.body.error?.code]).toEqual([422, 'IMPORT_MALFORMED']);
    expect(await bookingsOf(server, event.id)).toEqual([]);
  });

  it('an empty file, a blank one, and a header without rows: IMPORT_EMPTY', async () => {
    const event = await importEvent();
    for (const body of ['', '\uFEFF\r\n\r\n', 'name,email,ticket_type\r\n']) {
      const answer = await postCsv(cast.organizer, event.id, body);
      expect([answer.status, answer.body.error?.code], JSON.stringify(body)).toEqual([422, 'IMPORT_EMPTY']);
    }
  });

  it('duplicate rows and unknown ticket types are refused row by row, with line and column; the rest is imported', async () => {
    const event = await importEvent();
    const csv = [
      'name,email,ticket_type',
      'Ruth Ames,ruth@example.test,VIP',
      'Ruth Ames,ruth@example.test,VIP',
      'Omar Pell,omar@example.test,Balcony',
      'No Contact,,VIP',
      'Ida Crane,ida@example.test,General Admission',
    ].join('\n');
    const answer = await postCsv(cast.organizer, event.id, csv);
    expect(answer.body).toMatchObject({ rows: 5, created: 2, refused: 3 });
    expect(answer.body.refusals).toEqual([
      { line: 3, code: 'IMPORT_DUPLICATE_ROW', message: 'The same attendee as line 2 (email and name)' },
      {
        line: 4,
        column: 'ticket_type',
        code: 'IMPORT_UNKNOWN_TICKET_TYPE',
        message: 'The event has no ticket type "Balcony"',
      },
      {
        line: 5,
        column: 'email',
        code: 'IMPORT_ROW_UNMATCHABLE',
        message: 'The row has neither an email nor an external id, so a re-import could not find it',
      },
    ]);
  });

  it('a full event: every row refused SOLD_OUT, none written', async () => {
    const event = await importEvent({ capacity: 1, ticketTypes: [{ name: 'General Admission', price: 0, quota: 1 }] });
    expect((await postCsv(cast.organizer, event.id, 'name,email\nFirst In,first@example.test\n')).body.created).toBe(1);
    const answer = await postCsv(
      cast.organizer,
      event.id,
      'name,email\nLate One,late1@example.test\nLate Two,late2@example.test\n',
    );
    expect(answer.body).toMatchObject({ created: 0, refused: 2 });
    expect(answer.body.refusals.map((refusal) => [refusal.line, refusal.code])).toEqual([
      [2, 'SOLD_OUT'],
      [3, 'SOLD_OUT'],
    ]);
    expect(await bookingsOf(server, event.id)).toHaveLength(1);
  });

  it('not CSV, not allowed, not bookable: 415, FORBIDDEN or NOT_FOUND, EVENT_NOT_BOOKABLE', async () => {
    const event = await importEvent();
    const json = await cast.organizer.api.post(`/events/${event.id}/imports`, { rows: [] });
    expect([json.status, json.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const csvElsewhere = await fetch(`${server.baseUrl}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cast.organizer.accessToken}`, 'content-type': 'text/csv' },
      body: 'a,b\n',
    });
    expect(csvElsewhere.status).toBe(415);
    // Another organizer sees the published event but may not change it; a draft they do not see at all.
    expect((await postCsv(cast.otherOrganizer, event.id, fixture('plain.csv'))).body.error?.code).toBe('FORBIDDEN');
    const draft = await importEvent({ status: 'draft' });
    expect((await postCsv(cast.otherOrganizer, draft.id, fixture('plain.csv'))).body.error?.code).toBe('NOT_FOUND');
    const staffed = await cast.organizer.api.put(`/events/${event.id}/staff`, { staffIds: [cast.staff.user.id] });
    expect(staffed.status).toBe(200);
    expect((await postCsv(cast.staff, event.id, fixture('plain.csv'))).body.error?.code).toBe('FORBIDDEN');
    expect((await postCsv(cast.admin, event.id, fixture('plain.csv'))).body.created).toBe(3);
    expect((await cast.organizer.api.patch(`/events/${event.id}`, { status: 'cancelled' })).status).toBe(200);
    expect((await postCsv(cast.organizer, event.id, fixture('plain.csv'))).body.error?.code).toBe('EVENT_NOT_BOOKABLE');
  });

  it('dryRun reads and checks the whole file and writes nothing', async () => {
    const event = await importEvent();
    const answer = await postCsv(cast.organizer, event.id, fixture('eventbrite-attendees.csv'), { dryRun: 'true' });
    expect(answer.body).toMatchObject({ dryRun: true, rows: 4, created: 0, refused: 0 });
    expect(await bookingsOf(server, event.id)).toEqual([]);
  });
});

describe('CSV import: imported bookings sync like any other', () => {
  it("reach the organizer's and staff's devices through /sync/pull, updates included", async () => {
    const event = await importEvent();
    await cast.organizer.api.put(`/events/${event.id}/staff`, { staffIds: [cast.staff.user.id] });
    await postCsv(cast.organizer, event.id, fixture('pretix-positions.csv'));
    const device = new SimDevice(cast.staff.api);
    await device.pullAll();
    const bucket = eventBucket(event.id);
    const docs = [...(device.buckets.get(bucket)?.entries() ?? [])]
      .filter(([key]) => key.startsWith('booking:'))
      .map(([, row]) => row.doc as Booking);
    expect(docs.map((doc) => doc.attendee.name).sort()).toEqual(['Ilse Brandvold', 'Kasia Węndt', 'Teodor Brandvold']);
    expect(docs.every((doc) => doc.source === 'import' && !('externalId' in doc))).toBe(true);
    const renamed = fixture('pretix-positions.csv').toString('utf8').replace('Teodor Brandvold', 'Teo Brandvold');
    expect((await postCsv(cast.organizer, event.id, renamed)).body.updated).toBe(1);
    await device.pullAll();
    const teo = (await bookingsOf(server, event.id)).find((row) => row.externalId === 'QX7KD-2')!;
    expect(device.doc<Booking>(bucket, 'booking', teo.id)?.attendee.name).toBe('Teo Brandvold');
  });
});
