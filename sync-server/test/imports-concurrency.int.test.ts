import { randomUUID } from 'node:crypto';
import { type Event, type ImportSummary } from '@gatehouse/protocol';
import { MongoClient } from 'mongodb';
import { describe, expect, inject, it } from 'vitest';
import { reopenedDbName, testStoreKind, type TestServer } from '../../tests/support/server';
import type { SignedIn } from '../../tests/support/users';
import { COLLECTIONS } from '../src/store/mongodb/documents';
import { importClaimId } from '../src/store/mongodb/import-claims';
import { createEvent, serverPairWithCastForTests, type Cast } from './events-fixtures';
import { bookingsOf } from './store-inspect';

/**
 * Two imports of one file (or of overlapping files) at the same moment, on both stores: every
 * attendee ends up with exactly one booking, both answers add up, capacity is not oversold. On
 * MongoDB the two imports go to two server processes on one database (how it scales out), where
 * only the import claims (store/mongodb/import-claims.ts) keep them apart; on SQLite the chunk's
 * transaction does.
 */
let server: TestServer;
/** A second server process on the same database (MongoDB), else the same server. */
let other: TestServer;
let cast: Cast;

serverPairWithCastForTests((started) => ({ server, other, cast } = started));

async function postCsv(target: TestServer, who: SignedIn, eventId: string, csv: string): Promise<ImportSummary> {
  const response = await fetch(`${target.baseUrl}/events/${eventId}/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${who.accessToken}`, 'content-type': 'text/csv' },
    body: csv,
  });
  const body = (await response.json()) as ImportSummary;
  expect(response.status, JSON.stringify(body).slice(0, 500)).toBe(200);
  return body;
}

/** A plain sheet of people `from`…`to` (inclusive); `withIds`: an external id column. */
function sheet(from: number, to: number, options: { withIds: boolean; suffix?: string }): string {
  const lines = [options.withIds ? 'name,email,ticket_type,external_id' : 'name,email,ticket_type'];
  for (let n = from; n <= to; n++) {
    const name = `Guest ${String(n).padStart(4, '0')}${options.suffix ?? ''}`;
    const email = `guest${n}@example.test`;
    lines.push(options.withIds ? `${name},${email},General,EXT-${n}` : `${name},${email},General`);
  }
  return `${lines.join('\n')}\n`;
}

function importEvent(capacity: number): Promise<Event> {
  return createEvent(cast.organizer.api, {
    capacity,
    ticketTypes: [{ name: 'General', price: 1000, quota: capacity }],
  });
}

/**
 * Rows per file: FerretDB scans the bookings for every match (and serves two processes on one
 * SQLite file), so there a smaller file keeps the test within its time; the rows still race, the
 * two imports walking the same rows in the same order.
 */
const N = testStoreKind() === 'mongodb' ? 24 : 400;

const added = (summary: ImportSummary) => summary.created + summary.updated + summary.unchanged;

describe('CSV import: two imports at once', { timeout: 240_000 }, () => {
  it('the same file twice at once: one booking per external id, created once between them', async () => {
    const event = await importEvent(1_000);
    const csv = sheet(1, N, { withIds: true });
    const [a, b] = await Promise.all([
      postCsv(server, cast.organizer, event.id, csv),
      postCsv(other, cast.organizer, event.id, csv),
    ]);
    const rows = await bookingsOf(server, event.id);
    const perId = new Map<string, number>();
    for (const row of rows) perId.set(row.externalId ?? '', (perId.get(row.externalId ?? '') ?? 0) + 1);
    expect(rows).toHaveLength(N);
    expect([...perId.values()].every((count) => count === 1)).toBe(true);
    expect(a.created + b.created).toBe(N);
    expect(added(a)).toBe(N);
    expect(added(b)).toBe(N);
    expect(a.refused + b.refused).toBe(0);
    const seats = await server.ctx.store.events.seatCounts(event.id);
    expect(seats.booked).toBe(N);
  });

  it('overlapping files at once, one with changed names: every attendee once, the overlap counted by both', async () => {
    const event = await importEvent(1_000);
    const [a, b] = await Promise.all([
      postCsv(server, cast.organizer, event.id, sheet(1, (3 * N) / 4, { withIds: true })),
      postCsv(other, cast.organizer, event.id, sheet(N / 2 + 1, (5 * N) / 4, { withIds: true, suffix: ' Jr' })),
    ]);
    const rows = await bookingsOf(server, event.id);
    expect(rows).toHaveLength((5 * N) / 4);
    expect(new Set(rows.map((row) => row.externalId)).size).toBe((5 * N) / 4);
    expect(a.created + b.created).toBe((5 * N) / 4);
    expect(added(a)).toBe((3 * N) / 4);
    expect(added(b)).toBe((3 * N) / 4);
    // The overlap (the middle quarter) was created by one import and matched by the other, whichever came first.
    const overlap = rows.filter(
      (row) => Number(row.externalId!.slice(4)) > N / 2 && Number(row.externalId!.slice(4)) <= (3 * N) / 4,
    );
    expect(overlap).toHaveLength(N / 4);
  });

  it('rows without external ids, matched by email and name: one booking per attendee', async () => {
    const event = await importEvent(1_000);
    const csv = sheet(1, N, { withIds: false });
    const [a, b] = await Promise.all([
      postCsv(server, cast.organizer, event.id, csv),
      postCsv(other, cast.organizer, event.id, csv),
    ]);
    const rows = await bookingsOf(server, event.id);
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((row) => row.attendee.email)).size).toBe(N);
    expect(a.created + b.created).toBe(N);
    expect(added(a)).toBe(N);
    expect(added(b)).toBe(N);
  });

  it('capacity holds: two imports of N rows into N / 2 seats fill it exactly, the rest refused SOLD_OUT', async () => {
    const event = await importEvent(N / 2);
    const [a, b] = await Promise.all([
      postCsv(server, cast.organizer, event.id, sheet(1, N, { withIds: true })),
      postCsv(other, cast.organizer, event.id, sheet(1, N, { withIds: true })),
    ]);
    const rows = await bookingsOf(server, event.id);
    expect(rows).toHaveLength(N / 2);
    expect(new Set(rows.map((row) => row.externalId)).size).toBe(N / 2);
    expect(a.created + b.created).toBe(N / 2);
    expect(added(a) + a.refused).toBe(N);
    expect(added(b) + b.refused).toBe(N);
    expect([...a.refusals, ...b.refusals].every((refusal) => refusal.code === 'SOLD_OUT')).toBe(true);
    expect((await server.ctx.store.events.seatCounts(event.id)).booked).toBe(N / 2);
  });
});

describe.runIf(testStoreKind() === 'mongodb')('CSV import claims (MongoDB)', { timeout: 240_000 }, () => {
  it('a claim left by a crashed import, its booking never written, is completed by the next import', async () => {
    const event = await importEvent(100);
    const orphan = randomUUID();
    const client = await MongoClient.connect(inject('mongoUri'));
    try {
      await client
        .db(reopenedDbName(server))
        .collection(COLLECTIONS.importClaims)
        .insertOne({
          _id: importClaimId(event.id, 'x:EXT-7', 0) as never,
          eventId: event.id,
          bookingId: orphan,
          at: new Date(),
        });
    } finally {
      await client.close();
    }
    const summary = await postCsv(server, cast.organizer, event.id, sheet(5, 9, { withIds: true }));
    expect(summary).toMatchObject({ created: 5, refused: 0 });
    const rows = await bookingsOf(server, event.id);
    expect(rows).toHaveLength(5);
    expect(rows.find((row) => row.externalId === 'EXT-7')?.id).toBe(orphan);
    const again = await postCsv(other, cast.organizer, event.id, sheet(5, 9, { withIds: true }));
    expect(again).toMatchObject({ created: 0, unchanged: 5 });
  });
});
