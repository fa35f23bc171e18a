import { eventBucket, userBucket } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs, type SignedIn } from '../../tests/support/users';
import { CursorCodec } from '../src/sync/cursor';
import { addBooking, assignStaff, createEvent, SimDevice } from './sync-fixtures';

let server: TestServer;
let admin: SignedIn;
let organizer: SignedIn;
let otherOrganizer: SignedIn;
let staff: SignedIn;

beforeAll(async () => {
  server = await startTestServer({ rateLimit: { perMinute: 100_000, loginPerMinute: 1000 } });
  [admin, organizer, otherOrganizer, staff] = await Promise.all([
    signInAs(server, 'admin'),
    signInAs(server, 'organizer'),
    signInAs(server, 'organizer', 'Other Organizer'),
    signInAs(server, 'staff'),
  ]);
});
afterAll(async () => {
  await server.close();
});

const eventBuckets = (device: SimDevice) => [...device.buckets.keys()].filter((b) => b.startsWith('event:')).sort();

describe('P5 scoped access', () => {
  it('P5: each role receives exactly its buckets, and never another event’s rows', async () => {
    const mine = await createEvent(organizer.api, [staff.user.id]);
    const theirs = await createEvent(otherOrganizer.api);
    await addBooking(organizer.api, mine);
    await addBooking(otherOrganizer.api, theirs);
    const staffDevice = new SimDevice(staff.api);
    const organizerDevice = new SimDevice(organizer.api);
    const adminDevice = new SimDevice(admin.api);
    await Promise.all([staffDevice.pullAll(), organizerDevice.pullAll(), adminDevice.pullAll()]);

    expect(eventBuckets(staffDevice)).toEqual([eventBucket(mine.id)]);
    expect(eventBuckets(organizerDevice)).toEqual([eventBucket(mine.id)]);
    expect(eventBuckets(adminDevice)).toEqual(expect.arrayContaining([eventBucket(mine.id), eventBucket(theirs.id)]));
    // Every row a device holds names an event it may see.
    for (const device of [staffDevice, organizerDevice]) {
      for (const [bucket, rows] of device.buckets) {
        for (const row of rows.values()) {
          const doc = row.doc as { eventId?: string; id?: string } | null;
          if (bucket.startsWith('event:') && doc) expect(doc.eventId ?? doc.id).toBe(mine.id);
        }
      }
    }
    // The user's own bucket carries their profile.
    expect(staffDevice.doc(userBucket(staff.user.id), 'user', staff.user.id)).toMatchObject({ role: 'staff' });
  });

  it('P5: a staff user unassigned from an event gets it in bucketsRemoved and never another row of it', async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const keep = await createEvent(organizer.api, [staff.user.id]);
    await addBooking(organizer.api, event);
    const device = new SimDevice(staff.api);
    await device.pullAll();
    expect(device.buckets.has(eventBucket(event.id))).toBe(true);
    const cursorWhileAssigned = device.cursor!;

    await assignStaff(organizer.api, event.id, []);
    await addBooking(organizer.api, event, 'After Unassign');
    await addBooking(organizer.api, keep, 'Still Visible');
    const pages = await device.pullAll();
    expect(pages[0]!.bucketsRemoved).toEqual([eventBucket(event.id)]);
    expect(device.buckets.has(eventBucket(event.id))).toBe(false);
    expect(pages.flatMap((p) => p.changes).filter((c) => c.bucket === eventBucket(event.id))).toEqual([]);
    expect(pages.flatMap((p) => p.changes).some((c) => c.bucket === eventBucket(keep.id))).toBe(true);

    // Replaying the cursor from before the unassignment reaches nothing of the event either.
    const replay = await staff.api.get(`/sync/pull?cursor=${cursorWhileAssigned}`, {
      headers: { 'x-device-id': device.deviceId },
    });
    expect(replay.status).toBe(200);
    expect(replay.body.bucketsRemoved).toEqual([eventBucket(event.id)]);
    expect(replay.body.changes.filter((c: any) => c.bucket === eventBucket(event.id))).toEqual([]);
    // And later changes of that event never arrive.
    await addBooking(organizer.api, event, 'Much Later');
    expect((await device.pullAll()).flatMap((p) => p.changes).some((c) => c.bucket === eventBucket(event.id))).toBe(
      false,
    );

    // Assigned again: it comes back from seq 0 as an added bucket.
    await assignStaff(organizer.api, event.id, [staff.user.id]);
    const back = await device.pullAll();
    expect(back[0]!.bucketsAdded).toEqual([eventBucket(event.id)]);
    expect(device.snapshot(eventBucket(event.id), ['booking']).size).toBe(3);
  });

  it('P5: crafted and tampered cursors are refused with CURSOR_INVALID, never read', async () => {
    const foreign = await createEvent(otherOrganizer.api);
    const device = new SimDevice(staff.api);
    await device.pullAll();
    const cursor = device.cursor!;
    const [body, mac] = cursor.split('.');
    // One character changed for another (a full 6-bit one, not the last, whose low bits may be padding).
    const at = body!.length - 2;
    const flipped = body!.slice(0, at) + (body![at] === 'A' ? 'B' : 'A') + body!.slice(at + 1);
    // A cursor the attacker builds with a guessed key, naming the foreign event's bucket.
    const forged = new CursorCodec('not-the-server-secret-but-long-enough-0123456789').encode(staff.user.id, {
      [eventBucket(foreign.id)]: 0,
    });
    const plainJson = Buffer.from(JSON.stringify({ [eventBucket(foreign.id)]: 0 })).toString('base64url');
    const organizerDevice = new SimDevice(organizer.api);
    await organizerDevice.pullAll();
    for (const bad of [
      `${flipped}.${mac}`,
      `${body}.${mac}x`,
      forged,
      plainJson,
      'garbage',
      `${body}.`,
      organizerDevice.cursor!,
    ]) {
      const result = await staff.api.get(`/sync/pull?cursor=${encodeURIComponent(bad)}`, {
        headers: { 'x-device-id': device.deviceId },
      });
      expect([result.status, result.body.error?.code], bad.slice(0, 40)).toEqual([400, 'CURSOR_INVALID']);
    }
    const tooLong = await staff.api.get(`/sync/pull?cursor=${'a'.repeat(12_001)}`, {
      headers: { 'x-device-id': device.deviceId },
    });
    expect(tooLong.status).toBe(400);
    const badLimit = await staff.api.get('/sync/pull?limit=100000', { headers: { 'x-device-id': device.deviceId } });
    expect(badLimit.status).toBe(400);
    // A correct server-issued cursor still works after all that.
    expect(
      (await staff.api.get(`/sync/pull?cursor=${cursor}`, { headers: { 'x-device-id': device.deviceId } })).status,
    ).toBe(200);
  });

  it('pulls page with limit and hasMore, report remaining, and resume from any page', async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    for (let i = 0; i < 12; i++) await addBooking(organizer.api, event, `Paged ${i}`);
    const device = new SimDevice(staff.api);
    const first = await device.pullOnce(5);
    expect(first.changes).toHaveLength(5);
    expect(first.hasMore).toBe(true);
    expect(first.remaining).toBeGreaterThan(0);
    const rest = await device.pullAll(5);
    expect(rest[rest.length - 1]!.hasMore).toBe(false);
    // `remaining` is an estimate from the bucket counters, for progress bars; it only has to shrink.
    expect(rest[rest.length - 1]!.remaining).toBeLessThan(first.remaining!);
    expect(device.snapshot(eventBucket(event.id), ['booking']).size).toBe(12);
  });

  it('a profile change by an admin reaches the user’s devices through their bucket', async () => {
    const member = await signInAs(server, 'staff', 'Renamed Later');
    const device = new SimDevice(member.api);
    await device.pullAll();
    expect((await admin.api.patch(`/users/${member.user.id}`, { name: 'Renamed Now', role: 'organizer' })).status).toBe(
      200,
    );
    await device.pullAll();
    expect(device.doc(userBucket(member.user.id), 'user', member.user.id)).toMatchObject({
      name: 'Renamed Now',
      role: 'organizer',
    });
  });
});
