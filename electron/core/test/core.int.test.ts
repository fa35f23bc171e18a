import { randomUUID } from 'node:crypto';
import { walkIn as walkInCommand } from '../bookings/commands';
import type { Event } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInAs, type SignedIn } from '../../../tests/support/users';
import type { TestServer } from '../../../tests/support/server';
import {
  addBookings,
  createEvent,
  type Device,
  eventually,
  RestartableServer,
  restartDevice,
  serverBucketHashes,
  signedInDevice,
  startSyncTestServer,
  ticketToken,
} from '../../../tests/sync/support';
import { createRpcDispatcher } from '../rpc/dispatcher';
import { refreshTokenKey } from '../session/tokens';

let server: TestServer;
let organizer: SignedIn;
let staff: SignedIn;
let event: Event;
let bookingIds: string[];
const devices: Device[] = [];

beforeAll(async () => {
  server = await startSyncTestServer();
  [organizer, staff] = await Promise.all([signInAs(server, 'organizer'), signInAs(server, 'staff', 'Gate Steward')]);
  event = await createEvent(organizer.api, [staff.user.id], { staffWalkIns: true });
  bookingIds = await addBookings(server, event, 300);
}, 120_000);
afterAll(async () => {
  for (const device of devices) await device.core.close();
  await server.close();
});

async function device(user: SignedIn, options: Parameters<typeof signedInDevice>[2] = {}) {
  const created = await signedInDevice(server, user, options);
  devices.push(created);
  return created;
}

describe('desktop core against a real sync server', { timeout: 120_000 }, () => {
  it('initial sync is paged with progress, and the device then holds exactly the server rows', async () => {
    const gate = await device(staff, { pullLimit: 50 });
    const progress: { done: number; total: number }[] = [];
    gate.core.on('sync.status', (status) => status.progress && progress.push(status.progress));
    const status = await gate.core.syncNow();
    expect(status).toMatchObject({ signedIn: true, online: true, pending: 0, lastError: null });
    expect(progress.length).toBeGreaterThanOrEqual(6);
    expect(progress.every((step, i) => i === 0 || step.done > progress[i - 1]!.done)).toBe(true);
    expect(progress.at(-1)!.done).toBeLessThanOrEqual(progress.at(-1)!.total);
    const account = gate.core.requireAccount();
    expect(account.bookings.list({ eventId: event.id, offset: 0, limit: 1 }).total).toBe(300);
    const hashes = await serverBucketHashes(organizer.api);
    expect(account.store.bucketHash(`event:${event.id}`)).toBe(hashes.get(`event:${event.id}`));
  });

  it('scans offline with the server-signed ticket, pushes the check-in, and a second device sees it', async () => {
    const north = await device(staff);
    const south = await device(staff);
    await Promise.all([north.core.syncNow(), south.core.syncNow()]);
    const token = await ticketToken(organizer.api, bookingIds[3]!);
    const rpc = createRpcDispatcher(north.core);
    const admitted = await rpc.dispatch({
      type: 'request',
      id: 1,
      method: 'checkin.scan',
      params: { eventId: event.id, gate: 'North', scan: token },
    });
    expect(admitted).toMatchObject({ ok: true, result: { verdict: 'admit', booking: { id: bookingIds[3] } } });
    expect(north.core.syncStatus().pending).toBe(1);
    await north.core.syncNow();
    expect(north.core.syncStatus().pending).toBe(0);
    await south.core.syncNow();
    const again = south.core.requireAccount().scanner.scan({ eventId: event.id, gate: 'South', scan: token });
    expect(again).toMatchObject({
      verdict: 'duplicate',
      firstEntry: { gate: 'North', deviceId: north.core.device.deviceId },
    });
  });

  it('a mutation the server rejects is rolled back locally and listed with its reason', async () => {
    const gate = await device(staff);
    await gate.core.syncNow();
    // Staff may not cancel bookings: queue it anyway (as an offline device whose role changed would).
    gate.core.requireAccount().mutate('booking.cancel', { bookingId: bookingIds[5]! });
    expect(gate.core.requireAccount().bookings.get(bookingIds[5]!)?.status).toBe('cancelled');
    const status = await gate.core.syncNow();
    expect(status.pending).toBe(0);
    expect(status.rejected).toMatchObject([
      { name: 'booking.cancel', code: expect.stringMatching(/FORBIDDEN|NOT_FOUND/) },
    ]);
    expect(gate.core.requireAccount().bookings.get(bookingIds[5]!)?.status).toBe('confirmed');
  });

  it('live pokes bring another device’s change without asking, and the status says live', async () => {
    const watcher = await device(staff, { autoSync: true, pollMs: 60_000 });
    const writer = await device(organizer);
    await writer.core.syncNow();
    await eventually(() => watcher.core.syncStatus().liveConnected, 'live socket');
    const walkIn = walkInCommand(writer.core.requireAccount(), {
      eventId: event.id,
      ticketTypeId: event.ticketTypes[0]!.id,
      attendee: { name: 'Poked Person' },
    });
    await writer.core.syncNow();
    await eventually(() => watcher.core.requireAccount().bookings.get(walkIn.id), 'poke-driven pull');
    expect(watcher.core.syncStatus().online).toBe(true);
    // The code shown when the walk-in was added offline is the one the server stored.
    expect(watcher.core.requireAccount().bookings.get(walkIn.id)?.code).toBe(walkIn.code);
    expect((await server.ctx.store.bookings.findById(walkIn.id))?.code).toBe(walkIn.code);
  });

  it('online state follows real results: a stopped server means offline, scanning goes on, restart catches up', async () => {
    // A server of its own, stopped and started again on the same store.
    const restartable = await RestartableServer.start();
    try {
      const [boss, steward] = await Promise.all([
        signInAs(restartable.server, 'organizer'),
        signInAs(restartable.server, 'staff', 'Restart Steward'),
      ]);
      const own = await createEvent(boss.api, [steward.user.id]);
      const ownBookings = await addBookings(restartable.server, own, 10);
      const gate = await signedInDevice(restartable.server, steward);
      devices.push(gate);
      await gate.core.syncNow();
      expect(gate.core.syncStatus().online).toBe(true);
      const token = await ticketToken(boss.api, ownBookings[8]!);
      await restartable.stop();
      await expect(gate.core.syncNow()).rejects.toMatchObject({ code: 'OFFLINE' });
      expect(gate.core.syncStatus()).toMatchObject({ online: false, lastError: expect.stringMatching(/reach/) });
      expect(gate.core.requireAccount().scanner.scan({ eventId: own.id, gate: 'West', scan: token }).verdict).toBe(
        'admit',
      );
      expect(gate.core.syncStatus().pending).toBe(1);
      await restartable.restart();
      const status = await gate.core.syncNow();
      expect(status).toMatchObject({ online: true, pending: 0, lastError: null });
    } finally {
      await restartable.stop().catch(() => undefined);
    }
  });

  it('restart reuses the stored refresh token; sign-out wipes tokens and, if asked, the data', async () => {
    const gate = await device(staff);
    await gate.core.syncNow();
    const key = gate.core.requireAccount().key;
    const firstRefresh = await gate.tokens.get(refreshTokenKey(key));
    const restarted = await restartDevice(gate);
    devices.push(restarted);
    await restarted.core.syncNow();
    const rotated = await restarted.tokens.get(refreshTokenKey(key));
    expect(rotated).toBeTruthy();
    expect(rotated).not.toBe(firstRefresh);

    await restarted.core.signOut({ wipeLocalData: false });
    expect(await restarted.tokens.get(refreshTokenKey(key))).toBeNull();
    // Offline unlock with the password works for a user who signed in here before; a wrong one does not.
    await expect(restarted.core.unlock({ email: staff.user.email, password: 'wrong password' })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    const unlocked = await restarted.core.unlock({ email: staff.user.email, password: staff.password });
    expect(unlocked).toMatchObject({ user: { id: staff.user.id }, online: false });
    expect(
      restarted.core.requireAccount().bookings.list({ eventId: event.id, offset: 0, limit: 1 }).total,
    ).toBeGreaterThan(0);
    await expect(restarted.core.syncNow()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    await restarted.core.signOut({ wipeLocalData: true });
    await expect(restarted.core.unlock({ email: staff.user.email, password: staff.password })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
  });
});

describe('offline unlock at a shared laptop', { timeout: 60_000 }, () => {
  it('lists the door’s accounts that signed in here, most recent first; an admin is not listed but unlocks by email', async () => {
    const admin = await signInAs(server, 'admin', 'Ada Admin');
    const laptop = await device(staff);
    const signInAgain = async (user: SignedIn) => {
      await laptop.core.signOut({ wipeLocalData: false });
      await laptop.core.signIn({ serverUrl: server.baseUrl, email: user.user.email, password: user.password });
    };
    await signInAgain(admin);
    await signInAgain(organizer);
    await laptop.core.signOut({ wipeLocalData: false });
    const state = laptop.core.sessionState();
    expect(state.knownUsers.map((user) => user.email)).toEqual([organizer.user.email, staff.user.email]);
    expect(state.otherUnlockable).toBe(true);
    const unlocked = await laptop.core.unlock({ email: admin.user.email, password: admin.password });
    expect(unlocked).toMatchObject({ user: { id: admin.user.id }, online: false });
  });
});

describe('walk-ins at a busy door', { timeout: 60_000 }, () => {
  it('walk-ins made in the same instant get distinct door codes that do not follow the clock', async () => {
    const gate = await device(staff);
    await gate.core.syncNow();
    const account = gate.core.requireAccount();
    const codes = Array.from(
      { length: 40 },
      (_, i) =>
        walkInCommand(account, {
          eventId: event.id,
          ticketTypeId: event.ticketTypes[0]!.id,
          attendee: { name: `Rush ${i}` },
        }).code,
    );
    expect(new Set(codes).size).toBe(codes.length);
    // Codes made a moment apart share no long prefix (a clock-derived code would).
    const sharedPrefix = (a: string, b: string) => [...a].findIndex((char, i) => char !== b[i]);
    expect(Math.max(...codes.slice(1).map((code, i) => sharedPrefix(code, codes[i]!)))).toBeLessThan(5);
  });

  it('staff add walk-ins only at events that allow them, and follow the organizer switching it on', async () => {
    const closed = await createEvent(organizer.api, [staff.user.id], { title: 'No walk-ins by staff' });
    const gate = await device(staff);
    await gate.core.syncNow();
    const account = gate.core.requireAccount();
    const addWalkIn = () =>
      walkInCommand(account, {
        eventId: closed.id,
        ticketTypeId: closed.ticketTypes[0]!.id,
        attendee: { name: 'At The Door' },
      });
    const refusal = (() => {
      try {
        addWalkIn();
        return null;
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toMatchObject({ code: 'FORBIDDEN' });
    // Refused before anything was written: nothing queued, nothing shown.
    expect(gate.core.syncStatus().pending).toBe(0);
    expect(account.bookings.list({ eventId: closed.id, offset: 0, limit: 10 }).total).toBe(0);

    expect((await organizer.api.patch(`/events/${closed.id}`, { staffWalkIns: true })).status).toBe(200);
    await gate.core.syncNow();
    const added = addWalkIn();
    const status = await gate.core.syncNow();
    expect(status).toMatchObject({ pending: 0, rejected: [] });
    expect(await server.ctx.store.bookings.findById(added.id)).toMatchObject({
      source: 'walkIn',
      userId: staff.user.id,
    });
  });
});

describe('admin lists on the device', { timeout: 60_000 }, () => {
  it('devices come most recently seen first, though the server pages them by when each was first seen', async () => {
    const admin = await signInAs(server, 'admin');
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const [early, middle, late] = [randomUUID(), randomUUID(), randomUUID()];
    const { devices: registry } = server.ctx.store;
    await registry.touch({ deviceId: early, userId: staff.user.id, at: at(40) });
    await registry.touch({ deviceId: middle, userId: staff.user.id, at: at(30) });
    await registry.touch({ deviceId: late, userId: staff.user.id, at: at(20) });
    // The first device syncs again: last seen most recently, still first seen earliest.
    await registry.touch({ deviceId: early, userId: staff.user.id, at: at(10) });

    const desk = await device(admin);
    const answer = await createRpcDispatcher(desk.core).dispatch({
      type: 'request',
      id: 1,
      method: 'admin.devices.list',
      params: {},
    });
    expect(answer).toMatchObject({ ok: true });
    const listed = (answer as { result: Array<{ id: string }> }).result.map((row) => row.id);
    const ours: string[] = [early, middle, late];
    expect(listed.filter((id) => ours.includes(id))).toEqual([early, late, middle]);
  });
});
