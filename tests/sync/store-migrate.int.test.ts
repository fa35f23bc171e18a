import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventBucket, userBucket, type Change, type PullResponse, type Session } from '@gatehouse/protocol';
import { MongoClient } from 'mongodb';
import sharp from 'sharp';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SimDevice } from '../../sync-server/test/sync-fixtures';
import { REPOSITORY_NAMES } from '../../sync-server/src/store/transfer';
import { ApiClient } from '../support/http';
import type { TestServer } from '../support/server';
import { signInAs, signInOnDevice } from '../support/users';
import { addBookings, createEvent, startSyncTestServer, tempDataDir } from './support';

/**
 * Outgrowing one machine, end to end: a server on the embedded store is used by devices, stopped,
 * copied into MongoDB (the run's FerretDB) by `npm run store:migrate` — killed once half way and
 * run again — and a server on MongoDB takes over. Devices notice nothing: a cursor goes on, a
 * refresh token rotates, a revoked device stays revoked, a repeated scan is a duplicate, and a
 * full event stays full.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** No JWT_SECRET: the server keeps its signing secret in the store, and the migration carries it. */
const SECRET_IN_STORE = {
  secret: undefined,
  issuer: 'gatehouse',
  audience: 'gatehouse-api',
  accessTtlSeconds: 900,
  refreshTtlDays: 30,
};

type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', script), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const servers: TestServer[] = [];
const databases: string[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close().catch(() => undefined);
  const client = new MongoClient(inject('mongoUri'));
  await client.connect();
  for (const name of databases.splice(0)) await client.db(name).dropDatabase();
  await client.close();
});

/** Uploads an image over HTTP and answers the stored photo's id. */
async function sendPhoto(baseUrl: string, token: string, url: string, bytes: Buffer): Promise<string> {
  const response = await fetch(baseUrl + url, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
    body: new Uint8Array(bytes),
  });
  const body = (await response.json()) as { photoId: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.photoId;
}

/** A photo as served: status, ETag and the bytes' base64. */
async function readPhoto(baseUrl: string, token: string, url: string) {
  const response = await fetch(baseUrl + url, { headers: { authorization: `Bearer ${token}` } });
  const bytes = Buffer.from(await response.arrayBuffer()).toString('base64');
  return { status: response.status, etag: response.headers.get('etag'), bytes };
}

/** Highest seq seen per bucket in pulled pages. */
function noteHeads(heads: Map<string, number>, pages: PullResponse[]): void {
  for (const change of pages.flatMap((page) => page.changes)) {
    heads.set(change.bucket, Math.max(heads.get(change.bucket) ?? 0, change.seq));
  }
}

describe('store:migrate, SQLite → MongoDB', () => {
  it('moves a live installation: cursors, sessions, revocations, duplicates and sold-out events carry over', async () => {
    const dataDir = tempDataDir('gatehouse-migrate-');
    const sqlite = await startSyncTestServer({ dataDir, jwt: SECRET_IN_STORE });
    servers.push(sqlite);
    const organizer = await signInAs(sqlite, 'organizer');
    const staff = await signInAs(sqlite, 'staff');
    const attendee = await signInAs(sqlite, 'attendee');
    const event = await createEvent(organizer.api, [staff.user.id]);
    const bookingIds = await addBookings(sqlite, event, 40);
    const full = await createEvent(organizer.api, [staff.user.id], {
      capacity: 2,
      ticketTypes: [{ name: 'Standard', price: 0, quota: 2 }],
    });
    const fullType = full.ticketTypes[0]!.id;
    expect((await attendee.api.post(`/events/${full.id}/book`, { ticketTypeId: fullType, quantity: 1 })).status).toBe(
      201,
    );
    const walkIn = await organizer.api.post(`/events/${full.id}/bookings`, {
      ticketTypeId: fullType,
      attendee: { name: 'At the door' },
    });
    expect(walkIn.status).toBe(201);
    const soldOut = await attendee.api.post(`/events/${full.id}/book`, { ticketTypeId: fullType, quantity: 1 });
    expect(soldOut.body).toMatchObject({ error: { code: 'SOLD_OUT' } });

    // The device that goes on syncing: signed in with its own id, holding a refresh token.
    const device = new SimDevice(new ApiClient(sqlite.baseUrl));
    const login = await new ApiClient(sqlite.baseUrl).post<Session>(
      '/auth/login',
      { email: staff.user.email, password: staff.password },
      { headers: { 'x-device-id': device.deviceId } },
    );
    expect(login.status).toBe(200);
    device.api = new ApiClient(sqlite.baseUrl, login.body.accessToken);
    const firstRotation = await new ApiClient(sqlite.baseUrl).post<Session>('/auth/refresh', {
      refreshToken: login.body.refreshToken,
    });
    expect(firstRotation.status).toBe(200);
    const spentToken = login.body.refreshToken;
    const refreshToken = firstRotation.body.refreshToken;

    // A second device of the same user (signed in on it, as the app does), revoked.
    const revokedId = randomUUID();
    const revoked = new SimDevice((await signInOnDevice(sqlite, staff, revokedId)).api, Date.now, revokedId);
    await revoked.pullOnce();
    expect((await device.api.delete(`/devices/${revoked.deviceId}`)).status).toBe(200);
    const pullAs = (simulated: SimDevice) =>
      simulated.api.get('/sync/pull?limit=10', { headers: { 'x-device-id': simulated.deviceId } });
    expect((await pullAs(revoked)).body).toMatchObject({ error: { code: 'DEVICE_REVOKED' } });

    const ticket = bookingIds[0]!;
    // One ticket scanned once; the device syncs everything.
    const firstScan = await device.push([device.checkin(event.id, ticket)]);
    expect(firstScan.results[0]).toMatchObject({ status: 'applied' });
    // Photos: the staff member's profile photo and an attendee's, stored as blobs that must move too.
    const photo = await sharp({ create: { width: 700, height: 700, channels: 3, background: '#393' } })
      .jpeg()
      .toBuffer();
    const profilePhoto = await sendPhoto(sqlite.baseUrl, staff.accessToken, '/users/me/photo', photo);
    const attendeePhoto = await sendPhoto(sqlite.baseUrl, organizer.accessToken, `/bookings/${ticket}/photo`, photo);
    const photoBefore = await readPhoto(sqlite.baseUrl, staff.accessToken, `/bookings/${ticket}/photo`);
    expect(photoBefore.etag).toBe(`"${attendeePhoto}"`);

    const heads = new Map<string, number>();
    noteHeads(heads, await device.pullAll());
    expect(heads.get(eventBucket(event.id))).toBeGreaterThan(40);

    const dbName = `migrate_${randomBytes(6).toString('hex')}`;
    databases.push(dbName);
    const args = ['--to', inject('mongoUri'), '--db', dbName, '--data-dir', dataDir, '--batch', '10'];

    // While the server runs, the store is refused.
    const busy = await runScript('store-migrate.ts', args);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/in use by another Gatehouse server/);
    expect(busy.stderr).toMatch(/Stop the server first/);
    expect(existsSync(path.join(dataDir, 'migrate-progress.json'))).toBe(false);
    await sqlite.close();

    // Killed (SIGKILL) half way, after 60 rows…
    const crashed = await runScript('store-migrate.ts', args, { GATEHOUSE_MIGRATE_CRASH_AFTER_ROWS: '60' });
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    const progress = JSON.parse(readFileSync(path.join(dataDir, 'migrate-progress.json'), 'utf8')) as {
      finished: boolean;
      repositories: Record<string, { rows: number; done: boolean }>;
    };
    const copiedBefore = Object.values(progress.repositories).reduce((sum, state) => sum + state.rows, 0);
    expect(progress.finished).toBe(false);
    expect(copiedBefore).toBeGreaterThanOrEqual(60);

    // …then run again: it goes on from there, copies the rest once, and verifies.
    const resumed = await runScript('store-migrate.ts', args);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(resumed.stderr).toMatch(/resuming the migration/);
    expect(resumed.stderr).toMatch(/rows\/s/);
    expect(resumed.stdout).toMatch(/Migration verified/);
    expect(resumed.stdout).not.toMatch(/MISMATCH/);
    expect(resumed.stdout).toContain(`MONGODB_DB=${dbName}`);
    const table = resumed.stdout.split('\n').filter((line) => / ok$/.test(line));
    expect(table).toHaveLength(REPOSITORY_NAMES.length);
    const total = table.reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[1]!.replaceAll(',', '')), 0);
    const copiedNow = Number(/copied ([\d,]+) rows? on this run/.exec(resumed.stderr)![1]!.replaceAll(',', ''));
    expect(copiedBefore + copiedNow).toBe(total);

    // A finished migration run again copies nothing and verifies again.
    const again = await runScript('store-migrate.ts', args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/copied 0 rows on this run/);
    expect(again.stdout).toMatch(/Migration verified/);

    // The MongoDB server takes over (its own data folder, the secret from the store).
    const mongo = await startSyncTestServer({
      dataDir: tempDataDir('gatehouse-migrated-'),
      store: { kind: 'mongodb', uri: inject('mongoUri'), dbName },
      jwt: SECRET_IN_STORE,
    });
    servers.push(mongo);
    const on = (client: ApiClient) => new ApiClient(mongo.baseUrl, client.accessToken);

    // A booking made after the move reaches the device from its old cursor, next in its bucket.
    const added = await on(organizer.api).post<{ id: string }>(`/events/${event.id}/bookings`, {
      ticketTypeId: event.ticketTypes[0]!.id,
      attendee: { name: 'After the move' },
    });
    expect(added.status).toBe(201);
    device.api = on(device.api);
    const pages = await device.pullAll();
    const changes: Change[] = pages.flatMap((page) => page.changes);
    expect(pages.flatMap((page) => page.bucketsAdded)).toEqual([]);
    const addedChange = changes.find((change) => change.type === 'booking' && change.id === added.body.id);
    expect(addedChange).toMatchObject({ bucket: eventBucket(event.id), seq: heads.get(eventBucket(event.id))! + 1 });
    // Nothing old again: the user's bucket is not published anew (its counter came along).
    expect(changes.filter((change) => change.bucket === userBucket(staff.user.id))).toEqual([]);
    expect(changes.every((change) => change.seq > (heads.get(change.bucket) ?? 0))).toBe(true);

    // The refresh token rotates; the one spent before the move is still spent (reuse).
    const rotated = await new ApiClient(mongo.baseUrl).post<Session>('/auth/refresh', { refreshToken });
    expect(rotated.status).toBe(200);
    expect(rotated.body.user.id).toBe(staff.user.id);

    // The revoked device stays revoked.
    revoked.api = on(revoked.api);
    expect((await pullAs(revoked)).body).toMatchObject({ error: { code: 'DEVICE_REVOKED' } });

    // The same ticket scanned again: a duplicate entry, derived from the scan made before the move.
    const second = device.checkin(event.id, ticket);
    const secondScan = await device.push([second]);
    expect(secondScan.results[0]).toMatchObject({ status: 'applied' });
    const alerts = await on(organizer.api).get<{ items: Array<{ kind: string; checkinId: string | null }> }>(
      `/events/${event.id}/alerts`,
    );
    expect(alerts.status).toBe(200);
    expect(alerts.body.items).toContainEqual(
      expect.objectContaining({ kind: 'duplicateEntry', checkinId: (second.args as { id: string }).id }),
    );

    // The full event stays full: its seats were rebuilt from its bookings.
    const lateBooking = await on(attendee.api).post(`/events/${full.id}/book`, { ticketTypeId: fullType, quantity: 1 });
    expect(lateBooking.status).toBe(409);
    expect(lateBooking.body).toMatchObject({ error: { code: 'SOLD_OUT' } });

    // The photos came along byte for byte, under the same ETags; a device holding one gets a 304.
    const photoAfter = await readPhoto(mongo.baseUrl, rotated.body.accessToken, `/bookings/${ticket}/photo`);
    expect(photoAfter).toEqual({ ...photoBefore, status: 200 });
    const profileAfter = await readPhoto(mongo.baseUrl, rotated.body.accessToken, `/users/${staff.user.id}/photo`);
    expect(profileAfter.etag).toBe(`"${profilePhoto}"`);
    const unchanged = await fetch(`${mongo.baseUrl}/bookings/${ticket}/photo`, {
      headers: { authorization: `Bearer ${rotated.body.accessToken}`, 'if-none-match': `"${attendeePhoto}"` },
    });
    expect(unchanged.status).toBe(304);

    const reuse = await new ApiClient(mongo.baseUrl).post('/auth/refresh', { refreshToken: spentToken });
    expect(reuse.status).toBe(401);
  }, 180_000);
});
