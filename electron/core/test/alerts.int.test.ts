import type { Alert, Event } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInAs, type SignedIn } from '../../../tests/support/users';
import {
  addBookings,
  createEvent,
  type Device,
  RestartableServer,
  serverBucketHashes,
  signedInDevice,
} from '../../../tests/sync/support';
import { createRpcDispatcher } from '../rpc/dispatcher';

/**
 * Acknowledging an alert at the door with no server: the device shows it at once and queues an
 * `alert.acknowledge`; once the server is back it is applied, and every device of the event ends
 * with the same acknowledgement — the first by HLC, when two were made offline — and the server's
 * bucket hash.
 */
let restartable: RestartableServer;
let organizer: SignedIn;
let staff: SignedIn;
let event: Event;
let bookingIds: string[];
const devices: Device[] = [];

beforeAll(async () => {
  restartable = await RestartableServer.start();
  [organizer, staff] = await Promise.all([
    signInAs(restartable.server, 'organizer', 'Olu Organizer'),
    signInAs(restartable.server, 'staff', 'Gate Steward'),
  ]);
  event = await createEvent(organizer.api, [staff.user.id]);
  bookingIds = await addBookings(restartable.server, event, 4);
}, 60_000);
afterAll(async () => {
  for (const device of devices) await device.core.close();
  await restartable.stop().catch(() => undefined);
});

async function device(user: SignedIn): Promise<Device> {
  const created = await signedInDevice(restartable.server, user);
  devices.push(created);
  await created.core.syncNow();
  return created;
}

let nextRequest = 1;
async function call<T>(of: Device, method: string, params: unknown): Promise<T> {
  const answer = await createRpcDispatcher(of.core).dispatch({ type: 'request', id: nextRequest++, method, params });
  if (!answer.ok) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
  return answer.result as T;
}

const alertsOn = (of: Device, unacknowledgedOnly: boolean) =>
  call<Array<Alert & { attendeeName: string }>>(of, 'sync.alerts', { eventId: event.id, unacknowledgedOnly });

describe('acknowledging alerts on the device', { timeout: 60_000 }, () => {
  it('offline at two devices, then synced: both show the first acknowledgement by HLC, as the server', async () => {
    const north = await device(staff);
    const desk = await device(organizer);
    // One ticket admitted at both, neither having heard of the other: a duplicate-entry alert.
    for (const [at, gate] of [
      [north, 'North'],
      [desk, 'Desk'],
    ] as const) {
      const verdict = at.core.requireAccount().scanner.manual({ eventId: event.id, gate, bookingId: bookingIds[0]! });
      expect(verdict.verdict).toBe('admit');
    }
    await north.core.syncNow();
    await desk.core.syncNow();
    await north.core.syncNow();
    const [alert] = await alertsOn(north, true);
    expect(alert).toMatchObject({ kind: 'duplicateEntry', bookingId: bookingIds[0] });
    expect(alert!.acknowledgement).toBeUndefined();

    await restartable.stop();
    const byNorth = await call<Alert>(north, 'alerts.acknowledge', { eventId: event.id, alertId: alert!.id });
    expect(byNorth.acknowledgement).toMatchObject({ userId: staff.user.id, userName: 'Gate Steward', note: null });
    const byDesk = await call<Alert>(desk, 'alerts.acknowledge', {
      eventId: event.id,
      alertId: alert!.id,
      note: 'Guest re-entered with a friend',
    });
    expect(byDesk.acknowledgement).toMatchObject({ userId: organizer.user.id, note: 'Guest re-entered with a friend' });
    // Shown at once, left out of "Unacknowledged only", queued; and a second click queues nothing.
    expect(await alertsOn(north, true)).toEqual([]);
    expect((await alertsOn(north, false)).map((listed) => listed.acknowledgement?.id)).toEqual([
      byNorth.acknowledgement!.id,
    ]);
    expect(await call<Alert>(north, 'alerts.acknowledge', { eventId: event.id, alertId: alert!.id })).toEqual(byNorth);
    expect(north.core.syncStatus().pending).toBe(1);
    expect(desk.core.syncStatus().pending).toBe(1);
    await expect(north.core.syncNow()).rejects.toMatchObject({ code: 'OFFLINE' });
    expect(north.core.syncStatus().pending).toBe(1);

    await restartable.restart();
    await desk.core.syncNow();
    await north.core.syncNow();
    await desk.core.syncNow();
    for (const at of [north, desk]) expect(at.core.syncStatus()).toMatchObject({ pending: 0, rejected: [] });

    const first = [byNorth.acknowledgement!, byDesk.acknowledgement!].sort((a, b) => (a.hlc < b.hlc ? -1 : 1))[0]!;
    const server = await restartable.server.ctx.store.alerts.findById(alert!.id);
    expect(server?.acknowledgement).toMatchObject({ id: first.id, hlc: first.hlc, userId: first.userId });
    const hashes = await serverBucketHashes(organizer.api);
    for (const at of [north, desk]) {
      const [shown] = await alertsOn(at, false);
      expect(shown?.acknowledgement).toMatchObject({ id: first.id, acknowledgedAt: first.acknowledgedAt });
      expect(at.core.requireAccount().store.bucketHash(`event:${event.id}`)).toBe(hashes.get(`event:${event.id}`));
    }
  });

  it("another event's alert, or one not on this device, is ALERT_NOT_FOUND; nothing is queued", async () => {
    const north = await device(staff);
    await expect(
      call(north, 'alerts.acknowledge', { eventId: event.id, alertId: 'dup-not-here' }),
    ).rejects.toMatchObject({ code: 'ALERT_NOT_FOUND' });
    const [alert] = await alertsOn(north, false);
    await expect(
      call(north, 'alerts.acknowledge', { eventId: 'another-event', alertId: alert!.id }),
    ).rejects.toMatchObject({ code: 'ALERT_NOT_FOUND' });
    expect(north.core.syncStatus().pending).toBe(0);
  });
});
