import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import type { Event, ImportProgress, ImportSummary } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { testStoreKind, type TestServer } from '../../tests/support/server';
import { createEvent, serverPairWithCastForTests, type Cast } from './events-fixtures';

/**
 * The progress of a running CSV import (`GET /events/:id/imports/:importId`), on both stores: the
 * client names its import, the server records `checking` while it reads, `writing` with rows
 * written, then `done` — readable from another server process on the same database (MongoDB).
 */
let server: TestServer;
let other: TestServer;
let cast: Cast;

serverPairWithCastForTests((started) => ({ server, other, cast } = started));

/**
 * Over two chunks of 1,000 on SQLite. FerretDB scans the bookings for every row's match (tens of
 * ms a row, growing with the collection), so there one small chunk: checking, then done with its
 * totals, read from the other server process.
 */
const ROWS = testStoreKind() === 'mongodb' ? 30 : 2_500;

function sheet(rows: number): string {
  const lines = ['name,email,ticket_type,external_id'];
  for (let n = 1; n <= rows; n++) lines.push(`Guest ${n},guest${n}@example.test,General,P-${n}`);
  return `${lines.join('\n')}\n`;
}

async function progressOf(target: TestServer, eventId: string, importId: string, token = cast.organizer.accessToken) {
  const response = await fetch(`${target.baseUrl}/events/${eventId}/imports/${importId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as ImportProgress & { error?: { code: string } } };
}

describe('CSV import progress', { timeout: 240_000 }, () => {
  it('checking while the file arrives, then rows written, then done; any server process answers', async () => {
    const event: Event = await createEvent(cast.organizer.api, {
      capacity: ROWS,
      ticketTypes: [{ name: 'General', price: 1000, quota: ROWS }],
    });
    const importId = randomUUID();
    const body = new PassThrough();
    const csv = sheet(ROWS);
    const half = csv.indexOf('\n', csv.length / 2) + 1;
    body.write(csv.slice(0, half));
    const posted = fetch(`${server.baseUrl}/events/${event.id}/imports?importId=${importId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cast.organizer.accessToken}`, 'content-type': 'text/csv' },
      body: Readable.toWeb(body) as ReadableStream,
      duplex: 'half',
    } as RequestInit);

    // The body is still open: the server is reading it, nothing written.
    let seen = await progressOf(other, event.id, importId);
    for (let tries = 0; seen.status === 404 && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      seen = await progressOf(other, event.id, importId);
    }
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({
      importId,
      eventId: event.id,
      phase: 'checking',
      rowsTotal: null,
      rowsWritten: 0,
    });

    // The rest of the file; while the answer is awaited, every record seen moves forward only.
    body.end(csv.slice(half));
    const phases: ImportProgress[] = [];
    let answered = false;
    const answer = posted.then(async (response) => {
      answered = true;
      return { status: response.status, summary: (await response.json()) as ImportSummary };
    });
    while (!answered) {
      const now = await progressOf(other, event.id, importId);
      phases.push(now.body);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { status, summary } = await answer;
    expect(status).toBe(200);
    expect(summary.created).toBe(ROWS);
    const order = ['checking', 'writing', 'done'];
    for (let i = 1; i < phases.length; i++) {
      expect(order.indexOf(phases[i]!.phase)).toBeGreaterThanOrEqual(order.indexOf(phases[i - 1]!.phase));
      expect(phases[i]!.rowsWritten).toBeGreaterThanOrEqual(phases[i - 1]!.rowsWritten);
    }
    for (const record of phases.filter((record) => record.phase === 'writing')) {
      expect(record.rowsTotal).toBe(ROWS);
      expect(record.rowsWritten % 1_000 === 0 || record.rowsWritten === ROWS).toBe(true);
    }
    const done = await progressOf(other, event.id, importId);
    expect(done.body).toMatchObject({ phase: 'done', rowsRead: ROWS, rowsTotal: ROWS, rowsWritten: ROWS });
  });

  it('an import that fails is recorded failed; an unknown id is NOT_FOUND; another organizer is kept out', async () => {
    const event = await createEvent(cast.organizer.api);
    const importId = randomUUID();
    const response = await fetch(`${server.baseUrl}/events/${event.id}/imports?importId=${importId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cast.organizer.accessToken}`, 'content-type': 'text/csv' },
      body: 'name,email\n"broken,quote\n',
    });
    expect(response.status).toBe(422);
    expect((await progressOf(server, event.id, importId)).body).toMatchObject({ phase: 'failed', rowsWritten: 0 });
    const unknown = await progressOf(server, event.id, randomUUID());
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe('NOT_FOUND');
    const outsider = await progressOf(server, event.id, importId, cast.otherOrganizer.accessToken);
    expect([403, 404]).toContain(outsider.status);
    const badId = await fetch(`${server.baseUrl}/events/${event.id}/imports?importId=not-a-uuid`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cast.organizer.accessToken}`, 'content-type': 'text/csv' },
      body: 'name,email\nA,a@example.test\n',
    });
    expect(badId.status).toBe(400);
  });
});
