import path from 'node:path';
import type { BookingRow, Event, SyncPhase } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountKeyOf } from '../../electron/core/session/device';
import { AccountStore } from '../../electron/core/store';
import type { TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { CoreChild, InterceptingProxy } from './child';
import {
  addBookings,
  createEvent,
  type Device,
  eventually,
  pushWalkIns,
  serverBucketHashes,
  signedInDevice,
  startSyncTestServer,
  tempDataDir,
} from './support';

let server: TestServer;
let proxy: InterceptingProxy;
let organizer: SignedIn;
const devices: Device[] = [];
const children: CoreChild[] = [];

beforeAll(async () => {
  server = await startSyncTestServer();
  proxy = await InterceptingProxy.start(server.baseUrl);
  organizer = await signInAs(server, 'organizer');
}, 120_000);
afterAll(async () => {
  for (const device of devices) await device.core.close();
  for (const child of children) await child.kill9().catch(() => undefined);
  await proxy.close();
  await server.close();
});

/** A staff member of a fresh event with `count` bookings (Guest 0 … Guest n-1), seen by nobody else. */
async function staffedEvent(count: number): Promise<{ staff: SignedIn; event: Event; bookingIds: string[] }> {
  const staff = await signInAs(server, 'staff');
  const event = await createEvent(organizer.api, [staff.user.id]);
  const bookingIds = await addBookings(server, event, count);
  return { staff, event, bookingIds };
}

function accountFile(dataDir: string, serverUrl: string, userId: string): string {
  return path.join(dataDir, 'accounts', accountKeyOf(serverUrl, userId), 'gatehouse.db');
}

/** The device's file as a restart would find it: its phase, and whether its search index holds exactly the live bookings. */
function inspect(file: string): {
  phase: SyncPhase;
  cursor: string | null;
  bookings: number;
  indexInStep: boolean;
  /** The bookings' indexes (the list index is built after ready-to-scan, with the search index's first chunk). */
  indexes: string[];
} {
  const store = AccountStore.open(file, '00000000-0000-4000-8000-000000000000', Date.now);
  try {
    const live = store.db.prepare('SELECT rowid FROM bookings WHERE doc IS NOT NULL ORDER BY rowid').pluck().all();
    const indexed = store.db.prepare('SELECT rowid FROM bookings_words ORDER BY rowid').pluck().all();
    const indexes = store.db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bookings' AND name NOT LIKE 'sqlite%' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    return {
      phase: store.phase(),
      cursor: store.state.get('cursor'),
      bookings: live.length,
      indexInStep: JSON.stringify(live) === JSON.stringify(indexed),
      indexes,
    };
  } finally {
    store.close();
  }
}

async function expectEqualToServer(bucketHash: string, event: Event): Promise<void> {
  const hashes = await serverBucketHashes(organizer.api);
  expect(bucketHash).toBe(hashes.get(`event:${event.id}`));
}

const foundNames = (rows: BookingRow[]) => rows.map((row) => row.attendee.name);

describe('initial sync in phases, against the real server', { timeout: 180_000 }, () => {
  it('reports syncing → readyToScan → indexing → ready in order; the device then equals the server and search works', async () => {
    const { staff, event } = await staffedEvent(1200);
    const gate = await signedInDevice(server, staff, { pullLimit: 100 });
    devices.push(gate);
    const phases: (SyncPhase | null)[] = [];
    gate.core.on('sync.status', (status) => {
      if (phases.at(-1) !== status.phase) phases.push(status.phase);
    });
    const status = await gate.core.syncNow();
    expect(status).toMatchObject({ pending: 0, lastError: null });
    const account = gate.core.requireAccount();
    // Ready to scan: every booking is here; the search index may still be on its way.
    expect(['readyToScan', 'indexing', 'ready']).toContain(account.store.phase());
    expect(account.bookings.list({ eventId: event.id, offset: 0, limit: 1 }).total).toBe(1200);
    await account.indexer.idle();
    expect(account.store.phase()).toBe('ready');
    expect(phases).toEqual(['syncing', 'readyToScan', 'indexing', 'ready']);
    await expectEqualToServer(account.store.bucketHash(`event:${event.id}`), event);
    expect(
      foundNames(account.bookings.list({ eventId: event.id, q: 'guest1199@example', offset: 0, limit: 5 }).rows),
    ).toEqual(['Guest 1199']);
    expect(account.bookings.list({ eventId: event.id, q: 'guest', offset: 0, limit: 1 }).total).toBe(1200);
  });

  it('a booking changed on the server while the index is built is found by search afterwards', async () => {
    const { staff, event, bookingIds } = await staffedEvent(600);
    const gate = await signedInDevice(server, staff, { pullLimit: 100 });
    devices.push(gate);
    const account = gate.core.requireAccount();
    // The test builds the index itself, a part at a time, and changes the server in between.
    await account.indexer.stop();
    await gate.core.syncNow();
    expect(account.store.phase()).toBe('readyToScan');
    expect(account.store.searchIndex.step(300)).toMatchObject({ done: false, indexed: 300 });
    expect(account.store.phase()).toBe('indexing');

    const rowidOf = (id: string) =>
      (account.store.db.prepare('SELECT rowid AS r FROM bookings WHERE id = ?').get(id) as { r: number }).r;
    const below = bookingIds.find((id) => rowidOf(id) <= 300)!;
    const above = bookingIds.find((id) => rowidOf(id) > 300)!;
    for (const id of [below, above]) expect((await organizer.api.post(`/bookings/${id}/cancel`)).status).toBe(200);
    await pushWalkIns(organizer.api, event, 2, 'Latecomer');
    await gate.core.syncNow();
    expect(account.store.phase()).toBe('indexing');

    while (!account.store.searchIndex.step(100).done);
    expect(account.store.phase()).toBe('ready');
    const search = (q: string) => account.bookings.list({ eventId: event.id, q, offset: 0, limit: 10 }).rows;
    const nameOf = (id: string) =>
      account.store.rows.getDoc<{ attendee: { name: string } }>('bookings', id)!.attendee.name;
    for (const id of [below, above]) {
      expect(search(nameOf(id)).map((row) => [row.id, row.status])).toContainEqual([id, 'cancelled']);
    }
    expect(foundNames(search('latecomer')).sort()).toEqual(['Latecomer 0', 'Latecomer 1']);
    expect(account.bookings.list({ eventId: event.id, q: 'guest', offset: 0, limit: 1 }).total).toBe(600);
    await expectEqualToServer(account.store.bucketHash(`event:${event.id}`), event);
  });
});

describe('kill -9 of the core process in each phase resumes', { timeout: 180_000 }, () => {
  function startChild(dataDir: string, env: Record<string, string>): CoreChild {
    const child = CoreChild.start(dataDir, { GATEHOUSE_CORE_LIVE: '0', ...env });
    children.push(child);
    return child;
  }

  it('while syncing: the stored cursor matches the stored rows, and the sync goes on in the syncing phase', async () => {
    const { staff, event } = await staffedEvent(400);
    const dataDir = tempDataDir();
    let child = startChild(dataDir, { GATEHOUSE_CORE_PULL_LIMIT: '40' });
    await child.invoke('session.signIn', {
      serverUrl: proxy.baseUrl,
      email: staff.user.email,
      password: staff.password,
    });
    let pulls = 0;
    const victim = child;
    proxy.onAnswered = (exchange) => {
      if (exchange.url.startsWith('/sync/pull') && ++pulls === 4) setImmediate(() => void victim.kill9());
      return true;
    };
    await child.call('sync.now', {});
    await child.exited;
    proxy.onAnswered = () => true;

    const file = accountFile(dataDir, proxy.baseUrl, staff.user.id);
    const crashed = inspect(file);
    expect(crashed.phase).toBe('syncing');
    expect(crashed.cursor).not.toBeNull();
    expect(crashed.bookings).toBeGreaterThan(0);
    expect(crashed.bookings).toBeLessThan(400);

    child = startChild(dataDir, { GATEHOUSE_CORE_PULL_LIMIT: '40' });
    const status = await child.invoke('sync.now', {});
    expect(status.lastError).toBeNull();
    await eventually(async () => (await child.invoke('sync.status', {})).phase === 'ready', 'the search index');
    const found = await child.invoke('bookings.list', {
      eventId: event.id,
      q: 'guest399@example',
      offset: 0,
      limit: 5,
    });
    expect(foundNames(found.rows)).toEqual(['Guest 399']);
    await child.stop();

    const done = inspect(file);
    expect(done).toMatchObject({ phase: 'ready', bookings: 400, indexInStep: true });
    const store = AccountStore.open(file, '00000000-0000-4000-8000-000000000000', Date.now);
    const hash = store.bucketHash(`event:${event.id}`);
    store.close();
    await expectEqualToServer(hash, event);
  });

  it('while the search index is built: the restart finishes it, offline, and search finds every booking', async () => {
    const { staff, event } = await staffedEvent(30_000);
    const dataDir = tempDataDir();
    let child = startChild(dataDir, { GATEHOUSE_CORE_INITIAL_PULL_LIMIT: '5000' });
    await child.invoke('session.signIn', {
      serverUrl: proxy.baseUrl,
      email: staff.user.email,
      password: staff.password,
    });
    const synced = await child.invoke('sync.now', {});
    // Ready to scan; the index build (a few ms a chunk) has only just begun.
    await child.kill9();
    expect(synced.phase).toBe('readyToScan');

    const file = accountFile(dataDir, proxy.baseUrl, staff.user.id);
    const crashed = inspect(file);
    expect(['readyToScan', 'indexing']).toContain(crashed.phase);
    expect(crashed.bookings).toBe(30_000);
    // A verdict's indexes are there; the list index comes with the search index's first chunk.
    expect(crashed.indexes).toEqual(
      crashed.phase === 'readyToScan'
        ? ['bookings_code', 'bookings_id']
        : ['bookings_code', 'bookings_id', 'bookings_list'],
    );

    // No sync runs after the restart (auto sync is off): the build needs only what is on the device,
    // and scanning works meanwhile.
    const requestsBefore = proxy.exchanges.length;
    child = startChild(dataDir, {});
    const scan = await child.invoke('checkin.manual', {
      eventId: event.id,
      gate: 'Main',
      bookingId: (await child.invoke('bookings.list', { eventId: event.id, offset: 0, limit: 1 })).rows[0]!.id,
    });
    expect(scan.verdict).toBe('admit');
    await eventually(async () => (await child.invoke('sync.status', {})).phase === 'ready', 'the search index');
    const listed = await child.invoke('bookings.list', { eventId: event.id, offset: 0, limit: 3 });
    expect(listed.total).toBe(30_000);
    expect(foundNames(listed.rows)).toEqual(['Guest 0', 'Guest 1', 'Guest 10']);
    const found = await child.invoke('bookings.list', {
      eventId: event.id,
      q: 'guest29999@example',
      offset: 0,
      limit: 5,
    });
    expect(foundNames(found.rows)).toEqual(['Guest 29999']);
    expect((await child.invoke('bookings.list', { eventId: event.id, q: 'guest', offset: 0, limit: 1 })).total).toBe(
      30_000,
    );
    expect(proxy.exchanges.length).toBe(requestsBefore);
    // Back online: the check-in goes up and the device ends equal to the server.
    expect(await child.invoke('sync.now', {})).toMatchObject({ pending: 0, lastError: null, phase: 'ready' });
    await child.stop();
    expect(inspect(file)).toMatchObject({
      phase: 'ready',
      bookings: 30_000,
      indexInStep: true,
      indexes: ['bookings_code', 'bookings_id', 'bookings_list'],
    });
    const store = AccountStore.open(file, '00000000-0000-4000-8000-000000000000', Date.now);
    const hash = store.bucketHash(`event:${event.id}`);
    store.close();
    await expectEqualToServer(hash, event);
  });
});
