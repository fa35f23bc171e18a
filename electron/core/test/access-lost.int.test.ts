import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Event, type UnsentImportResult, unsentExportSchema } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { signInAs, type SignedIn } from '../../../tests/support/users';
import { addBookings, createEvent, eventually, ticketToken } from '../../../tests/sync/support';
import { createRpcDispatcher } from '../rpc/dispatcher';
import { syncServerForFile } from './sync-server';

/**
 * #18: a revoked device, or a disabled account, wipes its local data at its next contact — after
 * saving what its outbox held to a file that an admin imports, so no scan made at the door is lost.
 */
let admin: SignedIn;
let organizer: SignedIn;
let event: Event;
let bookingIds: string[];
const sync = syncServerForFile(async (server) => {
  [admin, organizer] = await Promise.all([signInAs(server, 'admin'), signInAs(server, 'organizer')]);
  event = await createEvent(organizer.api, []);
  bookingIds = await addBookings(server, event, 20);
});

/** A steward's device, synced, holding one admission the server has not heard of yet. */
async function stewardWithUnsentScan(bookingIndex: number) {
  const steward = await signInAs(sync.server, 'staff', 'Door Steward');
  expect((await organizer.api.put(`/events/${event.id}/staff`, { staffIds: [steward.user.id] })).status).toBe(200);
  const device = await sync.device(steward);
  await device.core.syncNow();
  const token = await ticketToken(organizer.api, bookingIds[bookingIndex]!);
  const verdict = device.core.requireAccount().scanner.scan({ eventId: event.id, gate: 'North', scan: token });
  expect(verdict.verdict).toBe('admit');
  expect(device.core.syncStatus().pending).toBe(1);
  return { steward, device };
}

const admissionsOf = async (bookingId: string) =>
  (await sync.server.ctx.store.checkins.listForBooking(bookingId)).filter((checkin) => checkin.direction === 'in');

async function importFile(file: string): Promise<UnsentImportResult> {
  const answer = await admin.api.post<UnsentImportResult>(
    '/admin/unsent-imports',
    JSON.parse(readFileSync(file, 'utf8')),
  );
  expect(answer.status).toBe(200);
  return answer.body;
}

describe('losing access for good', { timeout: 60_000 }, () => {
  it('a revoked device saves its unsent scan to a file, wipes its data, and an admin imports it once', async () => {
    const { device } = await stewardWithUnsentScan(0);
    const deviceId = device.core.sessionState().deviceId;
    expect((await admin.api.delete(`/devices/${deviceId}`)).status).toBe(200);
    await device.core.syncNow().catch(() => undefined);
    const lost = (await eventually(() => device.core.sessionState().accessLost, 'access lost'))!;
    expect(lost).toMatchObject({ code: 'DEVICE_REVOKED', unsentChanges: 1, wiped: true });
    expect(device.core.sessionState().user).toBeNull();
    expect(existsSync(path.join(device.dataDir, 'accounts'))).toBe(true);
    const file = lost.exportFiles[0]!;
    expect(path.dirname(file)).toBe(path.join(device.dataDir, 'unsent'));
    const saved = unsentExportSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(saved).toMatchObject({
      reason: 'DEVICE_REVOKED',
      deviceId,
      changes: [{ name: 'checkin.record', state: 'pending' }],
    });
    expect(await admissionsOf(bookingIds[0]!)).toHaveLength(0);

    // Only an admin imports; the import applies the scan once, however often it is repeated.
    const byOrganizer = await organizer.api.post('/admin/unsent-imports', JSON.parse(readFileSync(file, 'utf8')));
    expect(byOrganizer.status).toBe(403);
    expect(await importFile(file)).toMatchObject({ applied: 1, rejected: 0 });
    await importFile(file);
    const admitted = await admissionsOf(bookingIds[0]!);
    expect(admitted).toHaveLength(1);
    expect(admitted[0]).toMatchObject({ deviceId });
  });

  it('a disabled account: its refused scan is saved with the code, the data wiped, and the import applies it', async () => {
    const { steward, device } = await stewardWithUnsentScan(1);
    expect((await admin.api.patch(`/users/${steward.user.id}`, { disabled: true })).status).toBe(200);
    await device.core.syncNow().catch(() => undefined);
    const lost = (await eventually(() => device.core.sessionState().accessLost, 'access lost'))!;
    expect(lost).toMatchObject({ code: 'ACCOUNT_DISABLED', unsentChanges: 1, wiped: true });
    const saved = unsentExportSchema.parse(JSON.parse(readFileSync(lost.exportFiles[0]!, 'utf8')));
    expect(saved.changes).toMatchObject([{ name: 'checkin.record', state: 'rejected', code: 'ACCOUNT_DISABLED' }]);
    expect(await admissionsOf(bookingIds[1]!)).toHaveLength(0);
    expect(await importFile(lost.exportFiles[0]!)).toMatchObject({ applied: 1, rejected: 0, skipped: 0 });
    expect(await admissionsOf(bookingIds[1]!)).toHaveLength(1);
  });

  it('a device signed out from elsewhere keeps its data and outbox, and asks to sign in again', async () => {
    const { steward, device } = await stewardWithUnsentScan(2);
    expect((await admin.api.delete(`/users/${steward.user.id}/sessions`)).status).toBe(200);
    await device.core.syncNow().catch(() => undefined);
    await eventually(() => device.core.sessionState().online === false, 'signed out');
    expect(device.core.sessionState()).toMatchObject({ accessLost: null, user: { id: steward.user.id } });
    expect(device.core.syncStatus().pending).toBe(1);
  });

  // Every kind of request reads an access-lost answer the same way (api/client.ts `answered`): a
  // photo's bytes, fetched or sent, end the session as a JSON call does.
  for (const [what, method, params] of [
    ['fetching a photo', 'photos.mine', {}],
    ['uploading a photo', 'photos.setMine', { contentType: 'image/jpeg', dataBase64: 'AAEC' }],
  ] as const) {
    it(`a revoked device learns it by ${what}: saved, wiped, as after a sync`, async () => {
      const { device } = await stewardWithUnsentScan(3);
      const deviceId = device.core.sessionState().deviceId;
      expect((await admin.api.delete(`/devices/${deviceId}`)).status).toBe(200);
      const answer = await createRpcDispatcher(device.core).dispatch({ type: 'request', id: 1, method, params });
      expect(answer).toMatchObject({ ok: false, error: { code: 'DEVICE_REVOKED' } });
      const lost = (await eventually(() => device.core.sessionState().accessLost, 'access lost'))!;
      expect(lost).toMatchObject({ code: 'DEVICE_REVOKED', unsentChanges: 1, wiped: true });
      expect(device.core.sessionState().user).toBeNull();
    });
  }
});
