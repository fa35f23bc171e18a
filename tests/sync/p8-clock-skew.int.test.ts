import type { Event } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import {
  addBookings,
  createEvent,
  type Device,
  serverBucketHashes,
  signedInDevice,
  startSyncTestServer,
  ticketToken,
} from './support';

const DAY_MS = 86_400_000;

let server: TestServer;
let organizer: SignedIn;
let staff: SignedIn;
let event: Event;
let bookingIds: string[];
const devices: Device[] = [];

beforeAll(async () => {
  server = await startSyncTestServer();
  [organizer, staff] = await Promise.all([signInAs(server, 'organizer'), signInAs(server, 'staff')]);
  event = await createEvent(organizer.api, [staff.user.id]);
  bookingIds = await addBookings(server, event, 10);
}, 120_000);
afterAll(async () => {
  for (const device of devices) await device.core.close();
  await server.close();
});

async function device(user: SignedIn, skewMs: number): Promise<Device> {
  const created = await signedInDevice(server, user, { now: () => Date.now() + skewMs });
  devices.push(created);
  return created;
}

describe('P8 clock skew ±24 h', { timeout: 120_000 }, () => {
  it('devices a day ahead and a day behind reach the same outcomes as a correct clock, and report their skew', async () => {
    const ahead = await device(staff, DAY_MS);
    const behind = await device(staff, -DAY_MS);
    const correct = await device(staff, 0);
    for (const d of [ahead, behind, correct]) await d.core.syncNow();

    // Skew is measured against the server and reported, never a reason to refuse.
    expect(ahead.core.syncStatus().clockSkewMs).toBeGreaterThan(DAY_MS - 5_000);
    expect(ahead.core.syncStatus().clockSkewMs).toBeLessThan(DAY_MS + 5_000);
    expect(behind.core.syncStatus().clockSkewMs).toBeLessThan(-DAY_MS + 5_000);
    expect(Math.abs(correct.core.syncStatus().clockSkewMs ?? 0)).toBeLessThan(5_000);

    // A ticket valid for the next hours: the corrected clock admits it on every device alike.
    const tokens = await Promise.all(bookingIds.slice(0, 3).map((id) => ticketToken(organizer.api, id)));
    const verdicts = (d: Device, token: string) =>
      d.core.requireAccount().scanner.scan({ eventId: event.id, gate: 'Gate', scan: token }).verdict;
    expect([verdicts(ahead, tokens[0]!), verdicts(behind, tokens[1]!), verdicts(correct, tokens[2]!)]).toEqual([
      'admit',
      'admit',
      'admit',
    ]);
    // The same ticket at the other two devices while all are offline: each admits locally…
    expect(verdicts(behind, tokens[0]!)).toBe('admit');
    expect(verdicts(correct, tokens[0]!)).toBe('admit');
    // …and once synced the server has all check-ins and raises duplicate-entry alerts for the later ones.
    for (const d of [ahead, behind, correct, ahead, behind, correct]) await d.core.syncNow();
    for (const d of [ahead, behind, correct]) expect(d.core.syncStatus()).toMatchObject({ pending: 0, rejected: [] });
    const serverCheckins = await server.ctx.store.checkins.countForEvent(event.id);
    expect(serverCheckins).toBe(5);
    const alerts = correct.core
      .requireAccount()
      .checkins.alerts(event.id)
      .filter((alert) => alert.kind === 'duplicateEntry');
    expect(alerts).toHaveLength(2);
    expect(alerts.every((alert) => alert.bookingId === bookingIds[0])).toBe(true);

    // Check-in times are stored as the corrected time, so a day's skew does not move them a day.
    const times = ahead.core
      .requireAccount()
      .checkins.recent({ eventId: event.id, limit: 10 })
      .map((checkin) => Date.parse(checkin.scannedAt));
    expect(times.every((time) => Math.abs(time - Date.now()) < 10 * 60_000)).toBe(true);

    const expected = (await serverBucketHashes(organizer.api)).get(`event:${event.id}`);
    for (const d of [ahead, behind, correct]) {
      expect(d.core.requireAccount().store.bucketHash(`event:${event.id}`)).toBe(expected);
    }
  });
});
