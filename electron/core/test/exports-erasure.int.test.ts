import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ERASED_ATTENDEE_NAME, type Booking, type Event } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../tests/support/server';
import { signInAs, type SignedIn } from '../../../tests/support/users';
import { createEvent, type Device, eventually, signedInDevice, startSyncTestServer } from '../../../tests/sync/support';
import { createRpcDispatcher } from '../rpc/dispatcher';

/**
 * The device's side of exports and erasure against a real sync server: an erasure made on one
 * device reaches another's SQLite copy and search words; an export is saved into the data folder
 * as the server streams it; both need the server and say OFFLINE without it.
 */
let server: TestServer;
let organizer: SignedIn;
let staff: SignedIn;
let event: Event;
const devices: Device[] = [];
let offline = false;

beforeAll(async () => {
  server = await startSyncTestServer();
  [organizer, staff] = await Promise.all([signInAs(server, 'organizer'), signInAs(server, 'staff', 'Gate Steward')]);
  event = await createEvent(organizer.api, [staff.user.id]);
}, 120_000);
afterAll(async () => {
  for (const device of devices) await device.core.close();
  await server.close();
});

async function device(user: SignedIn): Promise<Device> {
  const created = await signedInDevice(server, user, {
    fetch: (input, init) => (offline ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)),
  });
  devices.push(created);
  return created;
}

async function call(target: Device, method: string, params: unknown) {
  return createRpcDispatcher(target.core).dispatch({ type: 'request', id: 1, method, params } as never);
}

/** Raw FTS hits for a word prefix: what the device's search index still holds. */
function ftsHits(target: Device, word: string): number {
  const db = target.core.requireAccount().store.db;
  return (
    db.prepare('SELECT count(*) AS n FROM bookings_words WHERE bookings_words MATCH ?').get(`"${word}"*`) as {
      n: number;
    }
  ).n;
}

describe('exports and erasure on a device', { timeout: 120_000 }, () => {
  it("an erasure on one device replaces the attendee's data on every device, search words included", async () => {
    const walkIn = await organizer.api.post<Booking>(`/events/${event.id}/bookings`, {
      ticketTypeId: event.ticketTypes[0]!.id,
      attendee: { name: 'Octavia Erasable', email: 'octavia@example.test' },
    });
    expect(walkIn.status).toBe(201);
    const desk = await device(organizer);
    const gate = await device(staff);
    await Promise.all([desk.core.syncNow(), gate.core.syncNow()]);
    const search = (target: Device, q: string) =>
      target.core.requireAccount().bookings.list({ eventId: event.id, offset: 0, limit: 10, q });
    // The index is built in the background after a first sync; then the triggers keep it in step.
    for (const target of [desk, gate]) await eventually(() => ftsHits(target, 'octavia') === 1, 'the search index');
    expect(search(gate, 'octavia').total).toBe(1);

    const erased = await call(desk, 'bookings.erase', { bookingId: walkIn.body.id });
    expect(erased).toMatchObject({ ok: true, result: { attendee: { name: ERASED_ATTENDEE_NAME } } });
    // The erasing device synced before answering.
    expect(search(desk, 'octavia').total).toBe(0);

    await gate.core.syncNow();
    for (const target of [desk, gate]) {
      expect(search(target, 'octavia').total).toBe(0);
      expect(ftsHits(target, 'octavia')).toBe(0);
      expect(ftsHits(target, 'example')).toBe(0);
      const row = search(target, walkIn.body.code).rows[0];
      expect(row).toMatchObject({ code: walkIn.body.code, attendee: { name: ERASED_ATTENDEE_NAME } });
      expect(row?.attendee.email).toBeUndefined();
    }
    // Staff may not erase: the server says so.
    expect(await call(gate, 'bookings.erase', { bookingId: walkIn.body.id })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('saves an export into the data folder as it streams, and says OFFLINE without the server', async () => {
    const desk = await device(organizer);
    const saved = await call(desk, 'exports.save', { eventId: event.id, kind: 'attendees' });
    expect(saved).toMatchObject({ ok: true });
    const result = (saved as { result: { path: string; fileName: string; bytes: number } }).result;
    expect(path.dirname(result.path)).toBe(path.join(desk.dataDir, 'exports'));
    expect(result.fileName).toMatch(/-attendees\.csv$/);
    const bytes = readFileSync(result.path);
    expect(bytes.length).toBe(result.bytes);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8').split('\r\n')[0]).toMatch(/^code,name,email,/);
    const second = await call(desk, 'exports.save', { eventId: event.id, kind: 'attendees' });
    expect((second as { result: { fileName: string } }).result.fileName).toMatch(/ \(2\)\.csv$/);

    offline = true;
    try {
      expect(await call(desk, 'exports.save', { eventId: event.id, kind: 'checkins' })).toMatchObject({
        ok: false,
        error: { code: 'OFFLINE' },
      });
    } finally {
      offline = false;
    }
    const gate = await device(staff);
    expect(await call(gate, 'exports.save', { eventId: event.id, kind: 'checkins' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('saves into the file chosen in the save dialog, once per grant, and nowhere a token was not granted', async () => {
    const desk = await device(organizer);
    const folder = mkdtempSync(path.join(tmpdir(), 'gatehouse-chosen-'));
    const chosen = path.join(folder, 'summer-gala-attendees-2026-12-01.csv');
    // A file the user agreed to replace in the dialog.
    writeFileSync(chosen, 'old content');
    const token = randomUUID();
    // What main does once the user chose (process.ts takes it from main's saveTarget.grant frame).
    desk.core.saveTargets.grant(token, chosen);
    const saved = await call(desk, 'exports.save', { eventId: event.id, kind: 'attendees', saveTo: token });
    expect(saved).toMatchObject({ ok: true, result: { path: chosen, fileName: path.basename(chosen) } });
    const bytes = readFileSync(chosen);
    expect(bytes.length).toBe((saved as { result: { bytes: number } }).result.bytes);
    expect(bytes.subarray(3).toString('utf8').split('\r\n')[0]).toMatch(/^code,name,email,/);
    expect(readdirSync(folder)).toEqual([path.basename(chosen)]);

    // A grant is used once; a token main never granted names no file.
    for (const saveTo of [token, randomUUID()]) {
      expect(await call(desk, 'exports.save', { eventId: event.id, kind: 'checkins', saveTo })).toMatchObject({
        ok: false,
        error: { code: 'SAVE_TARGET_UNKNOWN' },
      });
    }
    expect(readdirSync(folder)).toEqual([path.basename(chosen)]);
    expect(existsSync(desk.core.exportsDir())).toBe(false);
  });
});
