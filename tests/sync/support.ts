import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  bookingCodeFromBytes,
  type Event,
  HybridClock,
  type MutationName,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  type PullResponse,
} from '@gatehouse/protocol';
import {
  canonicalBucketHash,
  type Core,
  type HashedRow,
  MemoryTokenStore,
  openCore,
  type CoreOptions,
} from '../../electron/core/index';
import type { ApiClient } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';
import type { SignedIn } from '../support/users';

const HOUR_MS = 3_600_000;

/** A real sync server with limits raised: these tests sign in many devices quickly from one address. */
export function startSyncTestServer(overrides: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  return startTestServer({
    rateLimit: { perMinute: 1_000_000, loginPerMinute: 1_000_000 },
    live: { pollMs: 50, heartbeatMs: 2_000 },
    ...overrides,
  });
}

export function tempDataDir(prefix = 'gatehouse-device-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

async function expectOk<T>(what: string, result: Promise<{ status: number; body: T }>): Promise<T> {
  const settled = await result;
  if (settled.status >= 300) throw new Error(`${what}: ${settled.status} ${JSON.stringify(settled.body)}`);
  return settled.body;
}

/** A published event with the given staff assigned, through the real REST routes. */
export async function createEvent(organizer: ApiClient, staffIds: string[], overrides: Record<string, unknown> = {}) {
  const start = Date.now() - HOUR_MS;
  const event = await expectOk<Event>(
    'create event',
    organizer.post('/events', {
      title: 'Dockside Festival',
      venue: 'Harbour Hall',
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(start + 6 * HOUR_MS).toISOString(),
      timezone: 'Europe/Berlin',
      capacity: 100_000,
      status: 'published',
      ticketTypes: [{ name: 'Standard', price: 1500, quota: 100_000 }],
      ...overrides,
    }),
  );
  if (staffIds.length > 0) await expectOk('assign staff', organizer.put(`/events/${event.id}/staff`, { staffIds }));
  return event;
}

/**
 * Adds `count` confirmed bookings to the event in bulk through the store (`importMany`: one write
 * of rows and their change-log entries), much faster than the booking API one at a time.
 */
export async function addBookings(
  server: TestServer,
  event: Event,
  count: number,
  prefix = 'Guest',
): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    eventId: event.id,
    userId: event.organizerId,
    ticketTypeId: event.ticketTypes[0]!.id,
    quantity: 1,
    attendee: { name: `${prefix} ${i}`, email: `${prefix.toLowerCase()}${i}@example.test` },
    source: 'online' as const,
    code: bookingCodeFromBytes(randomBytes(8)),
    createdAt: new Date(Date.now() - 86_400_000 + i).toISOString(),
  }));
  if (rows.length > 0) await server.ctx.store.bookings.importMany(event.id, rows);
  return rows.map((row) => row.id);
}

/** Walk-ins through the real push route, as an organizer's device would send them. */
export async function pushWalkIns(
  organizer: ApiClient,
  event: Event,
  count: number,
  prefix = 'Guest',
): Promise<string[]> {
  const clock = new HybridClock('seeder');
  const deviceId = randomUUID();
  const ids: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const mutations = [];
    for (let i = start; i < Math.min(count, start + 500); i++) {
      const bookingId = randomUUID();
      ids.push(bookingId);
      mutations.push({
        id: randomUUID(),
        name: 'booking.walkIn' satisfies MutationName,
        args: {
          bookingId,
          eventId: event.id,
          ticketTypeId: event.ticketTypes[0]!.id,
          attendee: { name: `${prefix} ${i}`, email: `${prefix.toLowerCase()}${i}@example.test` },
        },
        hlc: clock.tick(),
      });
    }
    const pushed = await expectOk<{ results: { status: string; message?: string }[] }>(
      'seed push',
      organizer.post('/sync/push', { mutations }, { headers: { 'x-device-id': deviceId } }),
    );
    const refused = pushed.results.filter((result) => result.status !== 'applied');
    if (refused.length > 0) throw new Error(`seed walk-ins refused: ${JSON.stringify(refused[0])}`);
  }
  return ids;
}

/**
 * A duplicate entry the server raises: a walk-in named `name`, admitted twice at one gate by one
 * seeding device, pushed as a device would. Returns the booking and its alert's id (`dup-<second scan>`).
 */
export async function pushDuplicateEntry(
  api: ApiClient,
  event: Event,
  name: string,
): Promise<{ bookingId: string; alertId: string }> {
  const clock = new HybridClock('seeder');
  const bookingId = randomUUID();
  const scan = () => ({
    id: randomUUID(),
    name: 'checkin.record' satisfies MutationName,
    args: {
      id: randomUUID(),
      eventId: event.id,
      bookingId,
      gate: 'Main gate',
      direction: 'in',
      scannedAt: new Date().toISOString(),
    },
    hlc: clock.tick(),
  });
  const walkIn = {
    id: randomUUID(),
    name: 'booking.walkIn' satisfies MutationName,
    args: { bookingId, eventId: event.id, ticketTypeId: event.ticketTypes[0]!.id, attendee: { name } },
    hlc: clock.tick(),
  };
  const first = scan();
  const second = scan();
  const mutations = [walkIn, first, second];
  const pushed = await expectOk<{ results: { status: string; message?: string }[] }>(
    'duplicate entry',
    api.post('/sync/push', { mutations }, { headers: { 'x-device-id': randomUUID() } }),
  );
  const refused = pushed.results.filter((result) => result.status !== 'applied');
  if (refused.length > 0) throw new Error(`duplicate entry refused: ${JSON.stringify(refused[0])}`);
  return { bookingId, alertId: `dup-${second.args.id}` };
}

export async function ticketToken(api: ApiClient, bookingId: string): Promise<string> {
  return (await expectOk<{ token: string }>('ticket', api.get(`/bookings/${bookingId}/ticket`))).token;
}

/**
 * The server's content of each bucket, as a device with no history sees it: a full pull from the
 * start, folded to the highest rev per row.
 */
/** Every event bucket's live rows as a brand-new device of this user would receive them. */
export async function serverBucketRows(api: ApiClient): Promise<Map<string, HashedRow[]>> {
  const deviceId = randomUUID();
  const rows = new Map<string, { bucket: string; type: string; id: string; rev: number; doc: unknown }>();
  let cursor: string | undefined;
  for (let round = 0; round < 10_000; round++) {
    const query = new URLSearchParams({ limit: '1000' });
    if (cursor) query.set('cursor', cursor);
    const page = await expectOk<PullResponse>(
      'pull',
      api.get(`/sync/pull?${query}`, {
        headers: { 'x-device-id': deviceId, [PROTOCOL_VERSION_HEADER]: String(PROTOCOL_VERSION) },
      }),
    );
    for (const change of page.changes) {
      const key = `${change.type}:${change.id}`;
      const existing = rows.get(key);
      if (!existing || existing.rev < change.rev) rows.set(key, { ...change });
    }
    cursor = page.cursor;
    if (!page.hasMore) break;
  }
  const byBucket = new Map<string, HashedRow[]>();
  for (const row of rows.values()) {
    if (!row.bucket.startsWith('event:')) continue;
    // Appended in place: copying the bucket's list for every row was quadratic (30,000 rows took longer than the pulls).
    const list = byBucket.get(row.bucket) ?? [];
    list.push({ type: row.type, id: row.id, doc: row.doc });
    byBucket.set(row.bucket, list);
  }
  return byBucket;
}

export async function serverBucketHashes(api: ApiClient): Promise<Map<string, string>> {
  const rows = await serverBucketRows(api);
  return new Map([...rows].map(([bucket, list]) => [bucket, canonicalBucketHash(list)]));
}

/** The rows two views of a bucket disagree on, one line each, for a failure message. */
export function bucketDifferences(device: HashedRow[], server: HashedRow[]): string[] {
  const index = (rows: HashedRow[]) =>
    new Map(rows.filter((row) => row.doc !== null).map((row) => [`${row.type}:${row.id}`, JSON.stringify(row.doc)]));
  const [mine, theirs] = [index(device), index(server)];
  const lines: string[] = [];
  for (const key of new Set([...mine.keys(), ...theirs.keys()])) {
    if (mine.get(key) === theirs.get(key)) continue;
    lines.push(`${key}\n    device: ${mine.get(key) ?? '(none)'}\n    server: ${theirs.get(key) ?? '(none)'}`);
  }
  return lines;
}

export type Device = { core: Core; dataDir: string; tokens: MemoryTokenStore; options: CoreOptions };

/** An in-process core signed in to the server as `user`, syncing only when told (deterministic tests). */
export async function signedInDevice(
  server: TestServer,
  user: SignedIn,
  options: Partial<CoreOptions> = {},
): Promise<Device> {
  const dataDir = options.dataDir ?? tempDataDir();
  const tokens = (options.tokenStore as MemoryTokenStore | undefined) ?? new MemoryTokenStore();
  const full: CoreOptions = {
    autoSync: false,
    verifierCost: 1024,
    pullLimit: 200,
    ...options,
    dataDir,
    tokenStore: tokens,
  };
  const core = await openCore(full);
  await core.signIn({ serverUrl: server.baseUrl, email: user.user.email, password: user.password });
  return { core, dataDir, tokens, options: full };
}

/** Closes and reopens a device's core on the same data folder and token store (an app restart). */
export async function restartDevice(device: Device): Promise<Device> {
  await device.core.close();
  const core = await openCore(device.options);
  return { ...device, core };
}

/** Waits for a condition, polling; bounded in time. */
export async function eventually<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/**
 * A sync server that can be stopped and started again on the same port and database, as a real
 * server process restart looks to devices.
 */
export class RestartableServer {
  private constructor(
    public server: TestServer,
    readonly port: number,
  ) {}

  static async start(dbName?: string): Promise<RestartableServer> {
    const server = await startSyncTestServer(dbName ? { dbName } : {});
    return new RestartableServer(server, Number(new URL(server.baseUrl).port));
  }

  get baseUrl(): string {
    return this.server.baseUrl;
  }

  async stop(): Promise<void> {
    await this.server.close();
  }

  async restart(): Promise<void> {
    const { buildServer } = await import('@gatehouse/sync-server');
    const built = await buildServer(this.server.config);
    // The old socket may linger in TIME_WAIT; retry the bind for a bounded while.
    for (let attempt = 0; ; attempt++) {
      try {
        await built.app.listen({ port: this.port, host: '127.0.0.1' });
        break;
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    this.server = {
      ...built,
      config: this.server.config,
      baseUrl: this.server.baseUrl,
      close: () => built.app.close(),
    };
  }
}
