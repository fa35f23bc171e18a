import {
  MAX_PUSH_BATCH,
  MAX_PUSH_BATCH_HEADER,
  parseMaxPushBatch,
  PROTOCOL_ALERT_ACKNOWLEDGEMENTS,
  PROTOCOL_RANGE_HEADER,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  type Event,
} from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { acknowledgeAlert } from '../../electron/core/alerts/commands';
import {
  addBookings,
  createEvent,
  type Device,
  pushDuplicateEntry,
  signedInDevice,
  startSyncTestServer,
} from './support';

let server: TestServer;
let organizer: SignedIn;
let staff: SignedIn;
let event: Event;
let bookingIds: string[];
const devices: Device[] = [];

beforeAll(async () => {
  server = await startSyncTestServer();
  organizer = await signInAs(server, 'organizer');
  staff = await signInAs(server, 'staff');
  event = await createEvent(organizer.api, [staff.user.id]);
  bookingIds = await addBookings(server, event, 6);
});
afterAll(async () => {
  for (const device of devices) await device.core.close();
  await server.close();
});

/** A steward device, signed in and synced, speaking `protocolVersion`. */
async function syncedDevice(protocolVersion: number): Promise<Device> {
  const gate = await signedInDevice(server, staff, { protocolVersion });
  devices.push(gate);
  await gate.core.syncNow();
  return gate;
}

function checkIn(device: Device, bookingId: string): void {
  const verdict = device.core.requireAccount().scanner.manual({ eventId: event.id, gate: 'North', bookingId });
  expect(verdict.verdict).toBe('admit');
}

async function serverCheckins(): Promise<number> {
  return server.ctx.store.checkins.countForEvent(event.id);
}

describe('protocol versions: device and server say what they speak', () => {
  it('every answer names the accepted range, /health too; a malformed version is a 400', async () => {
    const health = await fetch(`${server.baseUrl}/health`);
    expect(health.headers.get(PROTOCOL_RANGE_HEADER)).toBe(`1-${PROTOCOL_VERSION}`);
    expect(await health.json()).toMatchObject({ protocol: { min: 1, max: PROTOCOL_VERSION } });
    const bad = await fetch(`${server.baseUrl}/users/me`, { headers: { [PROTOCOL_VERSION_HEADER]: 'two' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    // A client from before versions sends no header: it speaks version 1, which is accepted.
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
  });

  it('every answer states the push limit, an error too, so a device fills its first push of a backlog', async () => {
    const health = await fetch(`${server.baseUrl}/health`);
    expect(parseMaxPushBatch(health.headers.get(MAX_PUSH_BATCH_HEADER))).toBe(MAX_PUSH_BATCH);
    const refused = await fetch(`${server.baseUrl}/sync/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mutations: [] }),
    });
    expect(refused.status).toBe(400); // an empty push: refused as invalid
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    expect(parseMaxPushBatch(refused.headers.get(MAX_PUSH_BATCH_HEADER))).toBe(MAX_PUSH_BATCH);
  });

  it('an older device against a newer server: refused with PROTOCOL_UNSUPPORTED, told to update, outbox kept and sent after the update', async () => {
    const before = await serverCheckins();
    const gate = await syncedDevice(1);
    // The server is upgraded and drops version 1 while the device still has work queued.
    server.ctx.config.protocolRange = { min: 2, max: 2 };
    try {
      checkIn(gate, bookingIds[0]!);
      await expect(gate.core.syncNow()).rejects.toMatchObject({ code: 'PROTOCOL_UNSUPPORTED' });
      const status = gate.core.syncStatus();
      expect(status.pending).toBe(1);
      expect(status.updateNeeded).toMatch(/^Update Gatehouse on this device/);
      expect(status.updateNeeded).toMatch(/stay on this device/);
      expect(await serverCheckins()).toBe(before);
      // The probes and the docs answer whatever version a caller speaks: an orchestrator never sees a 426.
      for (const url of ['/health', '/ready', '/docs/json']) {
        const probe = await fetch(`${server.baseUrl}${url}`, { headers: { [PROTOCOL_VERSION_HEADER]: '1' } });
        expect(probe.status, url).toBe(200);
      }
    } finally {
      server.ctx.config.protocolRange = undefined;
    }
    // The device is updated (here: the server accepts it again): the queued check-in goes up once.
    await gate.core.syncNow();
    expect(gate.core.syncStatus()).toMatchObject({ pending: 0, updateNeeded: null, lastError: null });
    expect(await serverCheckins()).toBe(before + 1);
  });

  it('a newer device against an older server: the device sends nothing, asks for the server to be updated, keeps its outbox', async () => {
    const before = await serverCheckins();
    const newer = PROTOCOL_VERSION + 1;
    try {
      // The device was updated and signed in while the server spoke its version too; then the
      // server is rolled back to this release, one version behind the device.
      server.ctx.config.protocolRange = { min: 1, max: newer };
      const gate = await syncedDevice(newer);
      server.ctx.config.protocolRange = undefined;
      checkIn(gate, bookingIds[1]!);
      await expect(gate.core.syncNow()).rejects.toMatchObject({ code: 'PROTOCOL_UNSUPPORTED' });
      expect(gate.core.syncStatus()).toMatchObject({ pending: 1 });
      expect(gate.core.syncStatus().updateNeeded).toMatch(/Ask your administrator to update the server/);
      expect(await serverCheckins()).toBe(before);
      // Signing in another such device is refused in the same words.
      const another = await signedInDevice(server, staff, { protocolVersion: newer }).catch((error: unknown) => error);
      expect(another).toMatchObject({ code: 'PROTOCOL_UNSUPPORTED' });
      expect((another as Error).message).toMatch(/update the server/);

      // The server is updated: the queued check-in goes up once.
      server.ctx.config.protocolRange = { min: 1, max: newer };
      await gate.core.syncNow();
      expect(gate.core.syncStatus()).toMatchObject({ pending: 0, updateNeeded: null });
      expect(await serverCheckins()).toBe(before + 1);
    } finally {
      server.ctx.config.protocolRange = undefined;
    }
  });
  it('an acknowledgement made against a server from before acknowledgements stays queued until the server is updated', async () => {
    const { alertId } = await pushDuplicateEntry(organizer.api, event, 'Twice At The Door');
    const gate = await syncedDevice(PROTOCOL_VERSION);
    try {
      // The server is rolled back to the release before `alert.acknowledge` (which would answer UNKNOWN_MUTATION).
      server.ctx.config.protocolRange = { min: 1, max: PROTOCOL_ALERT_ACKNOWLEDGEMENTS - 1 };
      const shown = acknowledgeAlert(gate.core.requireAccount(), { eventId: event.id, alertId });
      expect(shown.acknowledgement?.userId).toBe(staff.user.id);
      await expect(gate.core.syncNow()).rejects.toMatchObject({ code: 'PROTOCOL_UNSUPPORTED' });
      expect(gate.core.syncStatus()).toMatchObject({ pending: 1, rejected: [] });
      expect(gate.core.syncStatus().updateNeeded).toMatch(/Ask your administrator to update the server/);
      expect((await server.ctx.store.alerts.findById(alertId))?.acknowledgement).toBeNull();
    } finally {
      server.ctx.config.protocolRange = undefined;
    }
    await gate.core.syncNow();
    expect(gate.core.syncStatus()).toMatchObject({ pending: 0, updateNeeded: null, rejected: [] });
    expect((await server.ctx.store.alerts.findById(alertId))?.acknowledgement?.userId).toBe(staff.user.id);
  });
});
