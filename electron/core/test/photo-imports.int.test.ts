import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type Booking,
  type Event,
  mergePhotoImports,
  type PhotoImportOutcome,
  photoFileName,
  retryablePhotoFiles,
  runPhotoImport,
} from '@gatehouse/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../tests/support/server';
import { signInAs, type SignedIn } from '../../../tests/support/users';
import {
  createEvent,
  type Device,
  signedInDevice,
  startSyncTestServer,
  tempDataDir,
} from '../../../tests/sync/support';
import { createRpcDispatcher } from '../rpc/dispatcher';

/**
 * A folder of attendee photos imported through the core against a real server: each file's name is
 * its reference (door code or external id), non-images are skipped, and the summary has each
 * outcome — set, unknown reference, refused image (with its code), failed (the server unreachable) —
 * and a retry of the failed ones sets them. The device's own booking rows then name the photos.
 */
let server: TestServer;
let organizer: SignedIn;
let event: Event;
const devices: Device[] = [];
/** References whose upload the device's network drops (a flaky venue connection). */
const dropped = new Set<string>();

beforeAll(async () => {
  server = await startSyncTestServer();
  organizer = await signInAs(server, 'organizer');
  event = await createEvent(organizer.api, []);
}, 120_000);
afterAll(async () => {
  for (const device of devices) await device.core.close();
  await server.close();
});

async function booking(name: string): Promise<Booking> {
  const made = await organizer.api.post<Booking>(`/events/${event.id}/bookings`, {
    ticketTypeId: event.ticketTypes[0]!.id,
    attendee: { name },
  });
  expect(made.status).toBe(201);
  return made.body;
}

const picture = (colour: string) =>
  sharp({ create: { width: 300, height: 360, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();

async function call<T>(target: Device, method: string, params: unknown): Promise<T> {
  const answer = await createRpcDispatcher(target.core).dispatch({ type: 'request', id: 1, method, params } as never);
  if (!answer.ok) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
  return answer.result as T;
}

describe('photo import through the core', { timeout: 120_000 }, () => {
  it('a folder → a summary with every outcome; a retry of the failed ones sets them', async () => {
    const anna = await booking('Anna Folder');
    const ben = await booking('Ben Folder');
    const carl = await booking('Carl Flaky');
    const eve = await booking('Eve Broken');
    const imported = await fetch(`${server.baseUrl}/events/${event.id}/imports?preset=plain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${organizer.accessToken}`, 'content-type': 'text/csv' },
      body: `name,ticket_type,external_id\nDora Extern,${event.ticketTypes[0]!.name},EB-77-1\n`,
    });
    expect(imported.status).toBe(200);

    const folder = path.join(tempDataDir('gatehouse-photos-'), 'Photos');
    mkdirSync(folder);
    writeFileSync(path.join(folder, `${anna.code}.jpg`), await picture('#c33'));
    writeFileSync(path.join(folder, `${ben.code.toLowerCase()}.JPEG`), await picture('#3c3'));
    writeFileSync(path.join(folder, `${carl.code}.png`), await picture('#33c'));
    writeFileSync(path.join(folder, 'EB-77-1.jpg'), await picture('#cc3'));
    writeFileSync(path.join(folder, 'Nobody Known.jpg'), await picture('#999'));
    writeFileSync(path.join(folder, `${eve.code}.jpg`), 'this is no picture');
    writeFileSync(path.join(folder, 'notes.txt'), 'who is who');
    writeFileSync(path.join(folder, '.DS_Store'), 'mac');
    writeFileSync(path.join(folder, 'Thumbs.db'), 'windows');

    const desk = await signedInDevice(server, organizer, {
      fetch: (input, init) =>
        [...dropped].some((reference) => String(input).includes(`/attendee-photos/${encodeURIComponent(reference)}`))
          ? Promise.reject(new TypeError('fetch failed'))
          : fetch(input, init),
    });
    devices.push(desk);
    await desk.core.syncNow();

    const names = readdirSync(folder).map(photoFileName);
    expect(
      names
        .filter((name) => name.kind === 'skipped')
        .map((name) => name.fileName)
        .sort(),
    ).toEqual(['.DS_Store', 'Thumbs.db', 'notes.txt']);
    const files = names.flatMap((name) => (name.kind === 'image' ? [name] : []));
    expect(files).toHaveLength(6);

    const preview = await call<{ notKnownHere: string[] }>(desk, 'photoImports.preview', {
      eventId: event.id,
      references: files.map((file) => file.reference),
    });
    // Codes are known here in any case; the external id and the rest only the server can judge.
    expect(preview.notKnownHere.sort()).toEqual(['EB-77-1', 'Nobody Known'].sort());

    dropped.add(carl.code);
    const put = (file: (typeof files)[number]): Promise<PhotoImportOutcome> =>
      call(desk, 'photoImports.put', {
        eventId: event.id,
        reference: file.reference,
        contentType: file.contentType,
        dataBase64: readFileSync(path.join(folder, file.fileName)).toString('base64'),
      });
    const progress: number[] = [];
    const first = await runPhotoImport(files, put, { onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect(first).toMatchObject({ set: 3, unknown: 1, refused: 1, failed: 1 });
    const outcome = (fileName: string) => first.results.find((r) => r.fileName === fileName)?.outcome;
    expect(outcome(`${anna.code}.jpg`)).toMatchObject({ kind: 'set', bookingId: anna.id });
    expect(outcome(`${ben.code.toLowerCase()}.JPEG`)).toMatchObject({ kind: 'set', bookingId: ben.id });
    expect(outcome('EB-77-1.jpg')).toMatchObject({ kind: 'set' });
    expect(outcome('Nobody Known.jpg')).toEqual({ kind: 'unknown' });
    expect(outcome(`${eve.code}.jpg`)).toMatchObject({ kind: 'refused', code: 'IMAGE_INVALID' });
    expect(outcome(`${carl.code}.png`)).toMatchObject({ kind: 'failed', code: 'OFFLINE' });

    // The connection is back: only the failed file goes again.
    dropped.clear();
    const again = retryablePhotoFiles(files, first);
    expect(again.map((file) => file.fileName)).toEqual([`${carl.code}.png`]);
    const merged = mergePhotoImports(first, await runPhotoImport(again, put));
    expect(merged).toMatchObject({ set: 4, unknown: 1, refused: 1, failed: 0 });
    expect(merged.results.map((r) => r.fileName)).toEqual(first.results.map((r) => r.fileName));

    // The next pull (the core asks for one after each photo; this device syncs when told) brings
    // the new photo ids into its own rows, so the door shows them.
    await desk.core.syncNow();
    const photoIdOf = (bookingId: string) => desk.core.requireAccount().bookings.get(bookingId)?.photoId ?? null;
    for (const id of [anna.id, ben.id, carl.id]) expect(photoIdOf(id)).not.toBeNull();
    const carlOutcome = merged.results.find((r) => r.fileName === `${carl.code}.png`)?.outcome;
    expect(carlOutcome).toMatchObject({ kind: 'set', bookingId: carl.id });
    expect(photoIdOf(carl.id)).toBe((carlOutcome as { photoId: string }).photoId);
  });
});
