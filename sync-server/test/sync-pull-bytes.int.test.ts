import { randomUUID } from 'node:crypto';
import { eventBucket, PROTOCOL_VERSION_HEADER, pullResponseSchema, type Event } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs, type SignedIn } from '../../tests/support/users';
import type { ChangeRow } from '../src/store/rows';
import { changesOf } from './store-inspect';
import { addBooking, createEvent, SimDevice } from './sync-fixtures';

/**
 * A pull page is assembled from the change log's stored doc text (SQLite) or from parsed docs
 * (MongoDB) into bytes (sync/pull-answer.ts). Whatever the store, those bytes must be exactly what
 * `JSON.stringify` made of the page object before: `{changes: [{bucket, seq, type, id, rev, doc}],
 * cursor, hasMore, bucketsAdded, bucketsRemoved, remaining}` with every doc as the store's parsed
 * `read` gives it. The server answers as in production (`checkAnswers: false`: no schema check,
 * no re-serialization), so these are the bytes a device receives.
 */

let server: TestServer;
let organizer: SignedIn;
let staff: SignedIn;
let event: Event;
let other: Event;

/** Names that JSON escapes or encodes in more than one byte: quotes, backslash, accents, CJK, an emoji. */
const NAMES = ['Zoë "Zee" Ångström', 'Back\\slash O’Brien', '中文 名字', 'Émile 🎟️ Dupont', 'Plain Guest'];

beforeAll(async () => {
  server = await startTestServer({
    checkAnswers: false,
    rateLimit: { perMinute: 100_000, loginPerMinute: 1000 },
    logLevel: 'error',
  });
  [organizer, staff] = await Promise.all([
    signInAs(server, 'organizer', 'Olu “Organizer”'),
    signInAs(server, 'staff', 'Sam Staff'),
  ]);
  event = await createEvent(organizer.api, [staff.user.id], { title: 'Fête de la Musique — “Quai” 🎶' });
  other = await createEvent(organizer.api, [staff.user.id]);
  const bookingIds: string[] = [];
  for (const name of NAMES) bookingIds.push(await addBooking(organizer.api, event, name));
  await addBooking(organizer.api, other, 'Other Guest');

  // Check-ins of every kind an old device is or is not sent: in, out, a void of an admission, a refusal.
  const door = new SimDevice(staff.api);
  const admission = door.checkin(event.id, bookingIds[0]!, 'in');
  const scannedAt = new Date().toISOString();
  const pushed = await door.push([
    admission,
    door.checkin(event.id, bookingIds[1]!, 'in'),
    door.checkin(event.id, bookingIds[1]!, 'out'),
    door.mutation('scan.refuse', {
      id: randomUUID(),
      eventId: event.id,
      gate: 'North',
      direction: 'in',
      reason: 'format',
      bookingId: null,
      ticketEventId: null,
      scannedAt,
    }),
  ]);
  expect(pushed.results.map((result) => result.status)).toEqual(['applied', 'applied', 'applied', 'applied']);
  const organizerDevice = new SimDevice(organizer.api);
  const voided = await organizerDevice.push([
    organizerDevice.mutation('checkin.void', {
      id: randomUUID(),
      eventId: event.id,
      checkinId: (admission.args as { id: string }).id,
      bookingId: bookingIds[0],
      gate: 'North',
      voidedAt: scannedAt,
    }),
  ]);
  expect(voided.results[0]).toMatchObject({ status: 'applied' });
  // The staff's first pull publishes their profile into their user bucket; the tests compare after it.
  await pullBytes('3', { limit: '1' });
});
afterAll(async () => {
  await server.close();
});

/** Pulls once as a fresh device of `version`, returning the answer's raw bytes. */
async function pullBytes(
  version: string,
  query: Record<string, string>,
): Promise<{ bytes: Buffer; contentType: string | null }> {
  const response = await fetch(`${server.baseUrl}/sync/pull?${new URLSearchParams(query)}`, {
    headers: {
      authorization: `Bearer ${staff.accessToken}`,
      'x-device-id': randomUUID(),
      [PROTOCOL_VERSION_HEADER]: version,
    },
  });
  expect(response.status).toBe(200);
  return { bytes: Buffer.from(await response.arrayBuffer()), contentType: response.headers.get('content-type') };
}

/** Every change of the staff's buckets as the store's `read` gives them (docs parsed), by `bucket seq`. */
async function storedChanges(): Promise<Map<string, ChangeRow>> {
  const byPosition = new Map<string, ChangeRow>();
  for (const bucket of [`user:${staff.user.id}`, eventBucket(event.id), eventBucket(other.id)]) {
    for (const change of await changesOf(server, bucket)) byPosition.set(`${change.bucket} ${change.seq}`, change);
  }
  return byPosition;
}

/** Whether a version-1 device may be sent this change: no refusals, no void check-ins (sync/pull.ts). */
const readableByVersion1 = (change: ChangeRow) =>
  change.type !== 'refusal' &&
  !(change.type === 'checkin' && (change.doc as { direction?: string } | null)?.direction === 'void');

/**
 * What the server sent before pages were assembled from stored text: JSON.stringify of the page
 * object, each change built from the store's parsed row in this field order.
 */
function parsedPathJson(page: ReturnType<typeof pullResponseSchema.parse>, stored: Map<string, ChangeRow>): string {
  return JSON.stringify({
    changes: page.changes.map((sent) => {
      const change = stored.get(`${sent.bucket} ${sent.seq}`);
      if (!change) throw new Error(`the page sent ${sent.bucket} ${sent.seq}, which the store does not hold`);
      return {
        bucket: change.bucket,
        seq: change.seq,
        type: change.type,
        id: change.id,
        rev: change.rev,
        doc: change.doc,
      };
    }),
    cursor: page.cursor,
    hasMore: page.hasMore,
    bucketsAdded: page.bucketsAdded,
    bucketsRemoved: page.bucketsRemoved,
    remaining: page.remaining,
  });
}

describe('sync pull: the page on the wire', () => {
  it('is byte for byte the JSON of the parsed page, for a current and a version-1 device, whole or in pages', async () => {
    const stored = await storedChanges();
    const storedKinds = new Set([...stored.values()].map((change) => change.type));
    // The fixture holds every kind the page must carry, and the rows an old device must not get.
    expect(storedKinds).toEqual(new Set(['user', 'event', 'ticketKey', 'booking', 'checkin', 'refusal']));
    expect([...stored.values()].some((change) => !readableByVersion1(change))).toBe(true);

    for (const version of ['3', '1']) {
      const expectedPositions = [...stored.values()]
        .filter((change) => version !== '1' || readableByVersion1(change))
        .map((change) => `${change.bucket} ${change.seq}`)
        .sort();

      // One page holding everything.
      const whole = await pullBytes(version, { limit: '1000' });
      expect(whole.contentType).toBe('application/json; charset=utf-8');
      const page = pullResponseSchema.parse(JSON.parse(whole.bytes.toString('utf8')));
      expect(page.changes.map((change) => `${change.bucket} ${change.seq}`).sort()).toEqual(expectedPositions);
      expect(whole.bytes.toString('utf8')).toBe(parsedPathJson(page, stored));
      // The string compare shows a difference; the bytes compare also catches an encoding one.
      expect(whole.bytes.equals(Buffer.from(parsedPathJson(page, stored), 'utf8'))).toBe(true);

      // Small pages: every page's bytes match too, and together they carry the same changes.
      const positions: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(50);
        const part = await pullBytes(version, { limit: '3', ...(cursor ? { cursor } : {}) });
        const parsed = pullResponseSchema.parse(JSON.parse(part.bytes.toString('utf8')));
        expect(part.bytes.toString('utf8')).toBe(parsedPathJson(parsed, stored));
        positions.push(...parsed.changes.map((change) => `${change.bucket} ${change.seq}`));
        cursor = parsed.cursor;
        if (!parsed.hasMore) break;
      }
      expect(positions.sort()).toEqual(expectedPositions);
    }
  });

  it('an empty page after the last one is the same JSON as before', async () => {
    const first = pullResponseSchema.parse(
      JSON.parse((await pullBytes('3', { limit: '1000' })).bytes.toString('utf8')),
    );
    const empty = await pullBytes('3', { limit: '1000', cursor: first.cursor });
    const page = pullResponseSchema.parse(JSON.parse(empty.bytes.toString('utf8')));
    expect(page.changes).toEqual([]);
    expect(empty.bytes.toString('utf8')).toBe(parsedPathJson(page, new Map()));
  });
});
