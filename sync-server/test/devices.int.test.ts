import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs, signInOnDevice, type SignedIn } from '../../tests/support/users';
import { addBooking, createEvent, SimDevice } from './sync-fixtures';

let server: TestServer;
let admin: SignedIn;
let organizer: SignedIn;
let staff: SignedIn;
let otherStaff: SignedIn;

beforeAll(async () => {
  server = await startTestServer({ logLevel: 'error' });
  [admin, organizer, staff, otherStaff] = await Promise.all([
    signInAs(server, 'admin'),
    signInAs(server, 'organizer'),
    signInAs(server, 'staff'),
    signInAs(server, 'staff', 'Other Staff'),
  ]);
});
afterAll(async () => {
  await server.close();
});

const DAY_MS = 24 * 3600 * 1000;

describe('device registry', () => {
  it('records devices on sync; admins list all, others only their own', async () => {
    const mine = new SimDevice(staff.api);
    const theirs = new SimDevice(otherStaff.api);
    await mine.pullOnce();
    await theirs.pullOnce();
    const own = await staff.api.get('/devices');
    expect(own.status).toBe(200);
    expect(own.body.items.map((d: any) => d.id)).toEqual([mine.deviceId]);
    expect(own.body.items[0]).toMatchObject({ userId: staff.user.id, revoked: false });
    const all = await admin.api.get('/devices?limit=500');
    expect(all.body.items.map((d: any) => d.id)).toEqual(expect.arrayContaining([mine.deviceId, theirs.deviceId]));
  });

  it('only the owner or an admin revokes; a revoked device can no longer push or pull', async () => {
    const deviceId = randomUUID();
    const onDevice = await signInOnDevice(server, staff, deviceId);
    const device = new SimDevice(onDevice.api, Date.now, deviceId);
    await device.pullOnce();
    const notYours = await otherStaff.api.delete(`/devices/${device.deviceId}`);
    expect(notYours.status).toBe(404);
    expect((await staff.api.delete(`/devices/${device.deviceId}`)).status).toBe(200);
    const pull = await onDevice.api.get('/sync/pull', { headers: { 'x-device-id': device.deviceId } });
    expect(pull.status).toBe(403);
    expect(pull.body.error).toMatchObject({ code: 'DEVICE_REVOKED', message: expect.stringMatching(/revoked/) });
    // The device's refresh token says so too, so the app wipes its data even when its access token ran out.
    const refresh = await onDevice.api.post('/auth/refresh', { refreshToken: onDevice.refreshToken });
    expect(refresh.body.error).toMatchObject({ code: 'DEVICE_REVOKED' });
    // Under a fresh device id the same token is refused: the session ended with its device.
    const elsewhere = await onDevice.api.get('/sync/pull', { headers: { 'x-device-id': randomUUID() } });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.code).toBe('DEVICE_REVOKED');
    // The owner's sign-in that named no device, and never synced as it, goes on.
    expect((await staff.api.get('/users/me')).status).toBe(200);
    // One that synced as a device (a script's) ends with it, and cannot sync under a fresh id.
    const script = await signInAs(server, 'staff', 'Script Runner');
    const scripted = new SimDevice(script.api);
    await scripted.pullOnce();
    expect((await admin.api.delete(`/devices/${scripted.deviceId}`)).status).toBe(200);
    const fresh = await script.api.get('/sync/pull', { headers: { 'x-device-id': randomUUID() } });
    expect(fresh.body.error.code).toBe('SESSION_ENDED');
    const event = await createEvent(organizer.api, [staff.user.id]);
    const bookingId = await addBooking(organizer.api, event);
    const push = await device.pushRaw([device.checkin(event.id, bookingId)]);
    expect(push.status).toBe(403);
    expect(await server.ctx.store.checkins.listForBooking(bookingId)).toHaveLength(0);
    // Admins revoke anyone's device.
    const other = new SimDevice(otherStaff.api);
    await other.pullOnce();
    expect((await admin.api.delete(`/devices/${other.deviceId}`)).status).toBe(200);
    expect((await admin.api.delete(`/devices/${randomUUID()}`)).status).toBe(404);
    expect((await admin.api.delete('/devices/bad$id')).status).toBe(400);
  });

  it('P8: a device a day ahead or behind syncs normally and its clock offset is reported', async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const bookingId = await addBooking(organizer.api, event);
    for (const skew of [DAY_MS, -DAY_MS]) {
      const device = new SimDevice(staff.api, () => Date.now() + skew);
      const response = await device.push([
        device.checkin(event.id, bookingId, 'in'),
        device.checkin(event.id, bookingId, 'out'),
      ]);
      expect(response.results.map((r) => r.status)).toEqual(['applied', 'applied']);
      const listed = await staff.api.get('/devices');
      const offset = listed.body.items.find((d: any) => d.id === device.deviceId).clockOffsetMs;
      expect(Math.abs(offset - skew)).toBeLessThan(60_000);
    }
  });

  it('X-Device-Id is required and must be a UUID on sync calls', async () => {
    expect((await staff.api.get('/sync/pull')).status).toBe(400);
    const bad = await staff.api.get('/sync/pull', { headers: { 'x-device-id': 'my-laptop' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });
});
