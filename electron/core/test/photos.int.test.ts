import type { Booking, Event, Photo, ScanResult } from '@gatehouse/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestServer } from '../../../tests/support/server';
import { signInAs, type SignedIn } from '../../../tests/support/users';
import { createEvent, type Device, eventually, signedInDevice, startSyncTestServer } from '../../../tests/sync/support';
import { photoIdOf } from '../photos/fetcher';
import { createRpcDispatcher } from '../rpc/dispatcher';

/**
 * #20 part 4 on the device, against a real server and real device SQLite: attendees' photos arrive
 * after the initial sync (a second phase), a replaced photo is fetched again, a removed one is
 * deleted, and a removed bucket takes its photos along. The verdict says what the device holds.
 */
let server: TestServer;
let organizer: SignedIn;
let staff: SignedIn;
let event: Event;
const devices: Device[] = [];

beforeAll(async () => {
  server = await startSyncTestServer();
  [organizer, staff] = await Promise.all([signInAs(server, 'organizer'), signInAs(server, 'staff', 'Door Steward')]);
  event = await createEvent(organizer.api, [staff.user.id], {
    ticketTypes: [
      { name: 'Photo pass', price: 0, quota: 100, requiresPhoto: true },
      { name: 'Standard', price: 1500, quota: 100 },
    ],
  });
}, 120_000);
afterAll(async () => {
  for (const device of devices) await device.core.close();
  await server.close();
});

const picture = (colour: string) =>
  sharp({ create: { width: 320, height: 400, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();

async function booking(name: string, ticketTypeIndex: number): Promise<Booking> {
  const made = await organizer.api.post<Booking>(`/events/${event.id}/bookings`, {
    ticketTypeId: event.ticketTypes[ticketTypeIndex]!.id,
    attendee: { name },
  });
  expect(made.status).toBe(201);
  return made.body;
}

/** The organizer sets (or with null removes) the attendee's photo over HTTP. */
async function setPhoto(bookingId: string, bytes: Buffer | null): Promise<string | null> {
  const response = await fetch(`${server.baseUrl}/bookings/${bookingId}/photo`, {
    method: bytes ? 'PUT' : 'DELETE',
    headers: {
      authorization: `Bearer ${organizer.accessToken}`,
      ...(bytes ? { 'content-type': 'image/jpeg' } : {}),
    },
    ...(bytes ? { body: new Uint8Array(bytes) } : {}),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return bytes ? ((await response.json()) as Photo).photoId : null;
}

async function steward(options: Parameters<typeof signedInDevice>[2] = {}): Promise<Device> {
  const device = await signedInDevice(server, staff, options);
  devices.push(device);
  await device.core.syncNow();
  return device;
}

const scan = (device: Device, bookingId: string): ScanResult =>
  device.core.requireAccount().scanner.manual({ eventId: event.id, gate: 'North', bookingId, direction: 'out' });

describe('photos on the device', { timeout: 60_000 }, () => {
  it('arrive after the initial sync, are replaced and removed with the booking, and the verdict says what is here', async () => {
    const withPhoto = await booking('Ada Photo', 0);
    const withoutPhoto = await booking('Ben Nophoto', 0);
    const standard = await booking('Cy Standard', 1);
    const first = (await setPhoto(withPhoto.id, await picture('#c33')))!;
    await setPhoto(standard.id, await picture('#33c'));

    const device = await steward();
    const account = device.core.requireAccount();
    await eventually(() => account.store.phase() === 'ready', 'the initial sync to be ready');
    const stored = (await eventually(() => account.store.photos.bytesFor(withPhoto.id), 'the photo to arrive'))!;
    expect(stored.photoId).toBe(first);
    expect(photoIdOf(stored.bytes)).toBe(first);
    expect(stored.contentType).toBe('image/webp');

    // The verdict: only for a ticket type that requires a photo, and from what is stored.
    expect(scan(device, withPhoto.id).photo).toBe('ready');
    expect(scan(device, withoutPhoto.id).photo).toBe('missing');
    expect(scan(device, standard.id).photo ?? null).toBeNull();
    const rpc = createRpcDispatcher(device.core);
    const answer = await rpc.dispatch({
      type: 'request',
      id: 1,
      method: 'checkin.photo',
      params: { bookingId: withPhoto.id },
    });
    expect(answer).toMatchObject({ ok: true, result: { photoId: first, contentType: 'image/webp' } });
    const dataUrl = (answer as { result: { dataUrl: string } }).result.dataUrl;
    expect(Buffer.from(dataUrl.replace(/^data:image\/webp;base64,/, ''), 'base64').equals(stored.bytes)).toBe(true);

    // Replaced: the pulled booking names a new photo; until it arrives the verdict says so, then it is the new one.
    const second = (await setPhoto(withPhoto.id, await picture('#3c3')))!;
    expect(second).not.toBe(first);
    await device.core.syncNow();
    const replaced = await eventually(
      () => account.store.photos.bytesFor(withPhoto.id)?.photoId === second,
      'the replaced photo to arrive',
    );
    expect(replaced).toBe(true);
    expect(scan(device, withPhoto.id).photo).toBe('ready');

    // Removed on the server: gone from the device with the next pull.
    await setPhoto(withPhoto.id, null);
    await device.core.syncNow();
    expect(account.store.photos.bytesFor(withPhoto.id)).toBeNull();
    expect(account.store.db.prepare('SELECT count(*) AS n FROM photos WHERE booking_id = ?').get(withPhoto.id)).toEqual(
      { n: 0 },
    );
    expect(scan(device, withPhoto.id).photo).toBe('missing');

    // The steward is taken off the event: its bucket and every photo of it leave the device.
    expect(await account.store.photos.bytesFor(standard.id)).not.toBeNull();
    expect((await organizer.api.put(`/events/${event.id}/staff`, { staffIds: [] })).status).toBe(200);
    await device.core.syncNow();
    expect(account.store.db.prepare('SELECT count(*) AS n FROM photos').get()).toEqual({ n: 0 });
  });

  it('a photo not yet downloaded is said so, the verdict not waiting for the network', async () => {
    expect((await organizer.api.put(`/events/${event.id}/staff`, { staffIds: [staff.user.id] })).status).toBe(200);
    const guest = await booking('Dee Pending', 0);
    const device = await steward();
    const account = device.core.requireAccount();
    await eventually(() => account.store.phase() === 'ready', 'the initial sync to be ready');
    // The second phase stopped: the booking will name a photo that has not arrived.
    await account.photoFetcher.stop();
    await setPhoto(guest.id, await picture('#cc3'));
    await device.core.syncNow();
    expect(account.store.photos.bytesFor(guest.id)).toBeNull();
    expect(scan(device, guest.id)).toMatchObject({ booking: { id: guest.id }, photo: 'notDownloaded' });
  });

  it('are looked for again when the phase, the reachability or the session changes, not on every scan and sync (#15)', async () => {
    let offline = false;
    const device = await steward({
      fetch: (input, init) => (offline ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)),
    });
    const account = device.core.requireAccount();
    await eventually(() => account.store.phase() === 'ready', 'the initial sync to be ready');
    const walkIn = await booking('Di Door', 1);
    await device.core.syncNow();
    const wake = vi.spyOn(account.photoFetcher, 'wake');

    // A scan, its push and the pull after it: each emits a status, none of which changes what the
    // fetcher waits for (a pull that stored bookings would wake it through onData).
    expect(
      account.scanner.manual({ eventId: event.id, gate: 'North', bookingId: walkIn.id, direction: 'in' }).verdict,
    ).toBe('admit');
    await device.core.syncNow();
    expect(wake).not.toHaveBeenCalled();

    // The server goes out of reach and comes back: both wake it (a server-wide pause may end).
    offline = true;
    await expect(device.core.syncNow()).rejects.toThrow();
    expect(wake).toHaveBeenCalledTimes(1);
    offline = false;
    await device.core.syncNow();
    expect(wake).toHaveBeenCalledTimes(2);
  });
});
