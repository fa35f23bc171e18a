import { eventBucket, type Event } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../tests/support/http';
import { reopenedDbName, startTestServer, testStoreKind, type TestServer } from '../../tests/support/server';
import { signInAs, type SignedIn } from '../../tests/support/users';
import { addBooking, createEvent, openLive, serverSnapshot, SimDevice } from './sync-fixtures';

const ON_MONGODB = testStoreKind() === 'mongodb';
// The simulated devices sign in once; the full-size run outlasts a 15-minute access token.
const RATE = { rateLimit: { perMinute: 1_000_000, loginPerMinute: 1000 }, accessTtlSeconds: 3 * 3600 };
let serverA: TestServer;
let serverB: TestServer;
let organizer: SignedIn;
let staff: SignedIn;

beforeAll(async () => {
  serverA = await startTestServer({ ...RATE, logLevel: 'error' });
  // On MongoDB a second server process on the same database: stateless servers scale out this way.
  // A SQLite file has one server (a second refuses to start; tested below).
  serverB = ON_MONGODB ? await startTestServer({ ...RATE, dbName: reopenedDbName(serverA) }) : serverA;
  [organizer, staff] = await Promise.all([signInAs(serverA, 'organizer'), signInAs(serverA, 'staff')]);
});
afterAll(async () => {
  if (serverB !== serverA) await serverB?.close();
  await serverA?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const random = (n: number) => Math.floor(Math.random() * n);
const SYNCED_TYPES = ['checkin', 'alert', 'booking'];

type Scenario = {
  servers: TestServer[];
  writers: number;
  perWriter: number;
  batch: number;
  readers: number;
  delays: boolean;
  bookings: number;
};

/**
 * P3: writers push check-ins concurrently while readers pull in a loop with small pages; at the end
 * every reader holds exactly the server's rows of the event (and saw each bucket's seqs in order).
 */
async function runScenario(scenario: Scenario) {
  const event: Event = await createEvent(organizer.api, [staff.user.id]);
  // Tickets are scanned a few times each, as at a door (a handful of bookings scanned hundreds of
  // times each would measure duplicate-alert bookkeeping, not sync).
  const bookings = await Promise.all(
    Array.from({ length: scenario.bookings }, (_, i) => addBooking(organizer.api, event, `Guest ${i}`)),
  );
  const apiOn = (index: number, who: SignedIn) =>
    new ApiClient(scenario.servers[index % scenario.servers.length]!.baseUrl, who.accessToken);

  let writing = true;
  const writers = Array.from(
    { length: scenario.writers },
    (_, i) => new SimDevice(apiOn(i, i % 2 ? staff : organizer)),
  );
  const readers = Array.from(
    { length: scenario.readers },
    (_, i) => new SimDevice(apiOn(i + 1, i % 2 ? organizer : staff)),
  );
  let applied = 0;
  const writing$ = Promise.all(
    writers.map(async (device) => {
      for (let sent = 0; sent < scenario.perWriter; sent += scenario.batch) {
        const size = Math.min(scenario.batch, scenario.perWriter - sent);
        const batch = Array.from({ length: size }, () =>
          device.checkin(event.id, bookings[random(bookings.length)]!, random(3) ? 'in' : 'out', `Gate ${random(4)}`),
        );
        const response = await device.push(batch);
        applied += response.results.filter((r) => r.status === 'applied').length;
        if (scenario.delays) await sleep(random(15));
      }
    }),
  ).finally(() => {
    writing = false;
  });
  const reading$ = Promise.all(
    readers.map(async (device) => {
      for (let round = 0; writing && round < 10_000; round++) {
        await device.pullOnce(20 + random(200));
        await sleep(scenario.delays ? random(30) : 20);
      }
    }),
  );
  await Promise.all([writing$, reading$]);
  expect(applied).toBe(scenario.writers * scenario.perWriter);

  const expected = await serverSnapshot(serverA, event.id);
  expect([...expected.keys()].filter((key) => key.startsWith('checkin:'))).toHaveLength(applied);
  for (const reader of readers) {
    await reader.pullAll(300);
    expect(reader.snapshot(eventBucket(event.id), SYNCED_TYPES)).toEqual(expected);
  }
  return { readers, event };
}

describe('P3 no missed changes', () => {
  /**
   * The size on the default store: 20 × 200. FerretDB (≈1.3 ms a command) gets a quarter of
   * it, across two server processes. P3_PER_WRITER=20 runs a tenth while working on sync.
   */
  const perWriter = Number(process.env.P3_PER_WRITER ?? (ON_MONGODB ? 50 : 200));
  it(
    `P3: 20 devices push ${perWriter} check-ins each while 5 readers pull; every reader ends with the server rows`,
    async () => {
      const started = Date.now();
      const { readers } = await runScenario({
        servers: [serverA],
        writers: 20,
        perWriter,
        batch: 5,
        readers: 5,
        delays: false,
        bookings: 100,
      });
      console.log(
        `P3 ${20 * perWriter} check-ins: ${Date.now() - started} ms; pulls per reader ${readers.map((r) => r.pulls)}`,
      );
    },
    Math.max(600_000, perWriter * 9_000),
  );

  it('P3: repeated with random delays between pushes and pulls', async () => {
    for (let run = 0; run < 2; run++) {
      await runScenario({
        servers: [serverA],
        writers: 20,
        perWriter: 8,
        batch: 1 + random(4),
        readers: 5,
        delays: true,
        bookings: 20,
      });
    }
  }, 600_000);

  if (ON_MONGODB) {
    it('P3: two server processes on one database, devices split between them', async () => {
      await runScenario({
        servers: [serverA, serverB],
        writers: 20,
        perWriter: 5,
        batch: 5,
        readers: 5,
        delays: true,
        bookings: 20,
      });
    }, 600_000);
  } else {
    it('a second server process on the same SQLite file refuses to start, naming the file', async () => {
      await expect(startTestServer({ ...RATE, dataDir: serverA.config.dataDir })).rejects.toThrow(
        /gatehouse\.db.*(in use|another)/,
      );
      // The first one is unharmed.
      expect((await new ApiClient(serverA.baseUrl).get('/ready')).status).toBe(200);
    });
  }

  it('P3: a poke for a commit reaches a device connected to any server process', async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const bookingId = await addBooking(organizer.api, event);
    const onB = await openLive(serverB, { token: staff.accessToken });
    expect(onB.messages[0]).toEqual({ type: 'ready' });
    const writer = new SimDevice(new ApiClient(serverA.baseUrl, organizer.accessToken));
    await writer.push([writer.checkin(event.id, bookingId)]);
    const head = (await serverA.ctx.store.changes.heads([eventBucket(event.id)])).get(eventBucket(event.id)) ?? 0;
    const poke = await onB.waitFor((m) => m.type === 'poke' && m.bucket === eventBucket(event.id) && m.seq >= head);
    expect(poke.seq).toBeGreaterThanOrEqual(head);
    onB.ws.close();
  });
});
