import {
  type Change,
  type Checkin,
  LEGACY_MAX_PUSH_BATCH,
  MAX_PUSH_BATCH,
  MAX_PUSH_BATCH_HEADER,
  PROTOCOL_RANGE_HEADER,
  PROTOCOL_VERSION,
} from '@gatehouse/protocol';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { type FetchLike, ServerApi } from '../api/client';
import type { AccountStore } from '../store';
import { SyncEngine } from '../sync/engine';
import type { WebSocketLike } from '../sync/live';
import { DEVICE_ID, USER_ID, openTempStore, seedEvent } from './fixtures';

/** A request as the fake server saw it: for a push, its mutations and how many the outbox held when it arrived. */
type Sent = { method: string; path: string; mutations: number; firstId?: string; outboxAtArrival?: number };
type Hold = { release: () => void };

/**
 * A server that answers at once, unless a test holds its next answer to a method: pushes apply
 * everything, pulls bring `pullChanges` as they are when the pull is asked (then held, if held).
 */
class FakeServer {
  readonly sent: Sent[] = [];
  pullChanges: Change[] = [];
  /** A pull's `remaining`: rows the server says are still waiting (committed after the page was read). */
  pullRemaining = 0;
  private readonly held: Record<string, Promise<void>[]> = { GET: [], POST: [] };
  private readonly releases: (() => void)[] = [];
  /** Pushes of more mutations than this are refused 413 BATCH_TOO_LARGE (a server of the old limit). */
  maxBatch = Infinity;
  /** A push answers only its first this many mutations (a server that stopped part-way). */
  answerAtMost = Infinity;
  /** Pushes from this one on (1 is the first) are held until releaseAll. */
  holdPushesFrom = Infinity;
  /** Read when a push arrives (the device's outbox size then). */
  outboxSize: () => number = () => -1;
  /** The push limit its answers state (MAX_PUSH_BATCH_HEADER); null: none, as a server from before the header. */
  statesMaxBatch: number | null = null;

  /** Lets every held answer go (after a test, so stopping the engine never waits on one). */
  releaseAll(): void {
    for (const release of this.releases.splice(0)) release();
  }

  /** Holds the answer to the next request of `method` not yet held (holds queue up). */
  hold(method: 'GET' | 'POST'): Hold {
    let release!: () => void;
    this.held[method]!.push(
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    this.releases.push(release);
    return { release };
  }

  readonly fetch: FetchLike = async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    // A push's body comes encoded (PreparedJson bytes), other bodies as text.
    const text = init?.body instanceof Uint8Array ? new TextDecoder().decode(init.body) : init?.body;
    const body = text ? (JSON.parse(String(text)) as { mutations?: { id: string }[] }) : {};
    const mutations = body.mutations ?? [];
    this.sent.push({
      method,
      path: url.pathname,
      mutations: mutations.length,
      ...(method === 'POST' ? { firstId: mutations[0]?.id, outboxAtArrival: this.outboxSize() } : {}),
    });
    if (url.pathname === '/health') {
      const health = { status: 'ok', protocol: { min: 1, max: PROTOCOL_VERSION } };
      return new Response(JSON.stringify(health), { status: 200, headers: this.answerHeaders() });
    }
    const answer =
      method === 'POST'
        ? {
            results: mutations.slice(0, this.answerAtMost).map((m) => ({ id: m.id, status: 'applied' })),
            serverHlc: '000009999999999:00000:server',
          }
        : {
            changes: this.pullChanges,
            cursor: `c-${this.sent.length}`,
            hasMore: false,
            bucketsAdded: [],
            bucketsRemoved: [],
            remaining: this.pullRemaining,
          };
    const held = this.held[method]!.shift();
    if (held) await held;
    if (method === 'POST' && this.count('POST', '/sync/push') >= this.holdPushesFrom) {
      await new Promise<void>((resolve) => this.releases.push(resolve));
    }
    if ((body.mutations?.length ?? 0) > this.maxBatch) {
      const error = { error: { code: 'BATCH_TOO_LARGE', message: `At most ${this.maxBatch} mutations per push` } };
      return new Response(JSON.stringify(error), { status: 413, headers: { 'content-type': 'application/json' } });
    }
    // A server of this version: one from before versions (no range) would be refused by this device.
    return new Response(JSON.stringify(answer), { status: 200, headers: this.answerHeaders() });
  };

  private answerHeaders(): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [PROTOCOL_RANGE_HEADER]: `1-${PROTOCOL_VERSION}`,
    };
    if (this.statesMaxBatch !== null) headers[MAX_PUSH_BATCH_HEADER] = String(this.statesMaxBatch);
    return headers;
  }

  /** The mutations each push carried, in the order the pushes arrived. */
  pushSizes(): number[] {
    return this.sent.filter((request) => request.method === 'POST').map((request) => request.mutations);
  }

  count(method: string, path: string): number {
    return this.sent.filter((request) => request.method === method && request.path === path).length;
  }
}

/** The live socket: opens on the next turn, then the test speaks for the server. */
class FakeSocket implements WebSocketLike {
  static last: FakeSocket | null = null;
  readyState = 0;
  private readonly listeners = new Map<string, ((event: { data: unknown }) => void)[]>();
  constructor(readonly url: string) {
    FakeSocket.last = this;
    setImmediate(() => {
      this.readyState = 1;
      this.emit('open', {});
    });
  }
  send(): void {}
  close(): void {}
  addEventListener(type: string, listener: (event: { data: unknown }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(type: string, event: { data?: unknown }): void {
    for (const listener of this.listeners.get(type) ?? []) listener({ data: event.data });
  }
  say(message: unknown): void {
    this.emit('message', { data: JSON.stringify(message) });
  }
}

/** Waits on real event-loop turns (no timers: they are faked here) until `done` holds. */
async function until(done: () => boolean, what: string, limitMs = 2_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** `count` check-ins of other devices as a pull brings them, seqs from `firstSeq`. */
const othersCheckins = (count: number, firstSeq: number): Change[] =>
  Array.from({ length: count }, (_, i) => {
    const id = crypto.randomUUID();
    const at = new Date().toISOString();
    const doc: Checkin = {
      id,
      eventId: 'ev1',
      bookingId: `ev1-b${i % 20}`,
      gate: 'South',
      direction: 'in',
      scannedAt: at,
      deviceId: 'other-device',
      staffId: USER_ID,
      hlc: `h${firstSeq + i}`,
      receivedAt: at,
    };
    return { bucket: 'event:ev1', seq: firstSeq + i, type: 'checkin', id, rev: 1, doc };
  });

const meta = () => ({ userId: USER_ID, deviceId: DEVICE_ID, at: new Date().toISOString() });

/** Queues `count` check-ins (in one transaction); answers their mutation ids in outbox order. */
function queueCheckins(count: number): string[] {
  return store.db.transaction(() => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const args = {
        id: crypto.randomUUID(),
        eventId: 'ev1',
        bookingId: `ev1-b${i % 20}`,
        gate: 'North',
        direction: i % 2 === 0 ? ('in' as const) : ('out' as const),
        scannedAt: new Date().toISOString(),
      };
      ids.push(store.mutate('checkin.record', args, meta()).id);
    }
    return ids;
  })();
}

let store: AccountStore;
let server: FakeServer;
let engine: SyncEngine;

beforeEach(async () => {
  // Only timers are faked: a sync that waits on one never happens.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  store = openTempStore();
  seedEvent(store, 'ev1', 20);
  server = new FakeServer();
  const tokens = {
    accessToken: () => 'access',
    refreshToken: async () => 'refresh',
    store: async () => undefined,
    clear: async () => undefined,
  };
  const hooks = { onReachability() {}, onClockSkew() {}, onSessionLost() {} };
  const api = new ServerApi('http://gatehouse.test', DEVICE_ID, tokens, hooks, server.fetch);
  engine = new SyncEngine(
    store,
    api,
    {
      pullLimit: 500,
      initialPullLimit: 500,
      pollMs: 0,
      live: true,
      auto: true,
      WebSocketImpl: FakeSocket,
      log: () => undefined,
    },
    { onData: () => undefined, onStatus: () => undefined, onCaughtUp: () => undefined },
    DEVICE_ID,
    () => 'access',
  );
  engine.start();
  await until(() => FakeSocket.last !== null && server.count('GET', '/sync/pull') >= 1, 'the first pull');
  FakeSocket.last!.say({ type: 'ready' });
  await until(() => server.count('GET', '/sync/pull') >= 2, 'the pull on connecting');
  await new Promise<void>((resolve) => setImmediate(resolve));
  server.sent.length = 0;
});

afterEach(async () => {
  server.releaseAll();
  await engine.stop();
  store.close();
  vi.useRealTimers();
  FakeSocket.last = null;
});

describe('sync engine: no timer between a write or a poke and the request', () => {
  it('pushes a local write as soon as it lands', async () => {
    // No timer is set on the way (the store's checkpoint interval is the only one): the request goes
    // out on the write's own turn of the event loop, not after a debounce. Counted, not timed.
    const timers = vi.getTimerCount();
    store.mutate('booking.cancel', { bookingId: 'ev1-b0' }, meta());
    engine.requestSync();
    await until(() => server.count('POST', '/sync/push') === 1, 'the push');
    expect(server.sent[0]).toMatchObject({ method: 'POST', path: '/sync/push', mutations: 1 });
    expect(vi.getTimerCount()).toBe(timers);
    await until(() => store.outbox.count() === 0, 'the answer');
  });

  it('pulls as soon as the server pokes', async () => {
    const timers = vi.getTimerCount();
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 99 });
    await until(() => server.count('GET', '/sync/pull') === 1, 'the pull');
    expect(server.count('POST', '/sync/push')).toBe(0);
    expect(vi.getTimerCount()).toBe(timers);
  });

  it('coalesces writes made during a push into the next push', async () => {
    const first = server.hold('POST');
    store.mutate('booking.cancel', { bookingId: 'ev1-b1' }, meta());
    engine.requestSync();
    await until(() => server.count('POST', '/sync/push') === 1, 'the first push');
    for (const id of ['ev1-b2', 'ev1-b3', 'ev1-b4']) {
      store.mutate('booking.cancel', { bookingId: id }, meta());
      engine.requestSync();
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(server.count('POST', '/sync/push')).toBe(1);
    first.release();
    await until(() => store.outbox.count() === 0, 'everything acknowledged');
    expect(server.pushSizes()).toEqual([1, 3]);
  });

  it('coalesces pokes that arrive during a pull into one more pull', async () => {
    const first = server.hold('GET');
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 100 });
    await until(() => server.count('GET', '/sync/pull') === 1, 'the first pull');
    for (let seq = 101; seq <= 105; seq++) FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq });
    first.release();
    await until(() => server.count('GET', '/sync/pull') === 2, 'the pull after the pokes');
    for (let turn = 0; turn < 20; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(server.count('GET', '/sync/pull')).toBe(2);
  });

  it('runs a push beside a pull, and a pull that was asked before the push answered does not undo it', async () => {
    const early = server.hold('GET');
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 200 });
    await until(() => server.count('GET', '/sync/pull') === 1, 'a pull, held on the server');
    // A scan while that pull is on the wire: its push does not wait for the pull.
    const id = crypto.randomUUID();
    const args = {
      id,
      eventId: 'ev1',
      bookingId: 'ev1-b5',
      gate: 'North',
      direction: 'in' as const,
      scannedAt: new Date().toISOString(),
    };
    store.mutate('checkin.record', args, meta());
    engine.requestSync();
    await until(() => store.outbox.count() === 0, 'the push, answered');
    expect(server.count('GET', '/sync/pull')).toBe(1);
    // The server holds the check-in now; the held page was read before it.
    const checkin: Checkin = { ...args, deviceId: DEVICE_ID, staffId: USER_ID, hlc: 'h', receivedAt: args.scannedAt };
    server.pullChanges = [{ bucket: 'event:ev1', seq: 300, type: 'checkin', id, rev: 1, doc: checkin }];
    const late = server.hold('GET');
    early.release();
    await until(() => server.count('GET', '/sync/pull') === 2, 'the pull the push asked for');
    // The early page did not hold the check-in: it must not re-derive the row from it.
    expect(store.rows.getDoc<Checkin>('checkins', id)).toMatchObject({ id, gate: 'North' });
    late.release();
    await until(() => store.rows.get('checkins', id)?.rev === 1, 'the server version');
    expect(store.rows.getDoc<Checkin>('checkins', id)).toMatchObject({ id, receivedAt: args.scannedAt });
    expect(store.db.prepare('SELECT count(*) AS n FROM stale_rows').get()).toEqual({ n: 0 });
  });

  it('holds a poke that arrives during a push until the push is answered, then pulls once', async () => {
    const push = server.hold('POST');
    store.mutate('booking.cancel', { bookingId: 'ev1-b6' }, meta());
    engine.requestSync();
    await until(() => server.count('POST', '/sync/push') === 1, 'the push, held on the server');
    // Most likely the push's own echo: pulling it now would only pull it back beside the push.
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 400 });
    for (let turn = 0; turn < 20; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(server.count('GET', '/sync/pull')).toBe(0);
    push.release();
    await until(() => server.count('GET', '/sync/pull') === 1, 'the pull after the push');
    for (let turn = 0; turn < 20; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(server.count('GET', '/sync/pull')).toBe(1);
    expect(store.outbox.count()).toBe(0);
  });

  it('pulls beside a push that is still unanswered once the hold runs out', async () => {
    server.hold('POST');
    store.mutate('booking.cancel', { bookingId: 'ev1-b7' }, meta());
    engine.requestSync();
    await until(() => server.count('POST', '/sync/push') === 1, 'the push, held on the server');
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 500 });
    for (let turn = 0; turn < 20; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(server.count('GET', '/sync/pull')).toBe(0);
    vi.advanceTimersByTime(1_000);
    await until(() => server.count('GET', '/sync/pull') === 1, 'the pull, while the push is still held');
    expect(store.outbox.count()).toBe(1);
  });

  it('starts at the old limit when the server states none (one from before the header), then grows', async () => {
    queueCheckins(2_500);
    await engine.syncNow();
    const pushes = server.pushSizes();
    expect(pushes).toEqual([LEGACY_MAX_PUSH_BATCH, 2_000]);
  });

  it('fills its first push to the limit the server states in its answers', async () => {
    server.statesMaxBatch = MAX_PUSH_BATCH;
    await engine.syncNow(); // any answer states it: here the pull's (an empty outbox sends nothing)
    expect(server.sent.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /sync/pull']);
    server.sent.length = 0;
    queueCheckins(2_500);
    await engine.syncNow();
    const pushes = server.pushSizes();
    expect(pushes).toEqual([MAX_PUSH_BATCH, 500]);
    expect(store.outbox.count()).toBe(0);
  });

  it('asks a server it has not heard from yet before its first push, and fills that push to the limit stated', async () => {
    server.statesMaxBatch = MAX_PUSH_BATCH;
    // As at a start with a backlog: no answer from this server yet.
    engine['api']['serverRange'] = null;
    engine['api']['statedMaxPushBatch'] = null;
    queueCheckins(2_500);
    await engine.syncNow();
    const requests = server.sent.map((request) =>
      request.method === 'POST' ? `POST ${request.mutations}` : `${request.method} ${request.path}`,
    );
    expect(requests.slice(0, 3)).toEqual(['GET /health', `POST ${MAX_PUSH_BATCH}`, 'POST 500']);
  });

  it('sends 500 first again when the server stops stating a limit (one rolled back)', async () => {
    server.statesMaxBatch = MAX_PUSH_BATCH;
    await engine.syncNow();
    server.statesMaxBatch = null;
    await engine.syncNow(); // the pull's answer states none now
    server.sent.length = 0;
    queueCheckins(600);
    await engine.syncNow();
    const pushes = server.pushSizes();
    expect(pushes).toEqual([LEGACY_MAX_PUSH_BATCH, 100]);
  });

  it('sends fewer at a time to a server that refuses a push as too large, and gets everything answered', async () => {
    server.maxBatch = LEGACY_MAX_PUSH_BATCH;
    queueCheckins(1_200);
    // Grown to more than the old limit by quick answers, as after a backlog on a fast server.
    for (let i = 0; i < 4; i++) engine['pushSender']['sizer'].answered(1, engine['pushSender']['sizer'].next);
    await engine.syncNow();
    expect(store.outbox.count()).toBe(0);
    const pushes = server.pushSizes();
    expect(pushes[0]).toBeGreaterThan(LEGACY_MAX_PUSH_BATCH);
    expect(pushes.slice(1).every((size) => size <= LEGACY_MAX_PUSH_BATCH)).toBe(true);
    expect(pushes.slice(1).reduce((sum, size) => sum + size, 0)).toBe(1_200);
  });

  it('sends the next batch as soon as a batch is answered in full, and stores the answer meanwhile', async () => {
    server.outboxSize = () => store.outbox.count();
    queueCheckins(1_200);
    engine['pushSender']['sizer'].tooLarge(1_000); // batches of 500 (the old limit)
    await engine.syncNow();
    expect(store.outbox.count()).toBe(0);
    const pushes = server.sent.filter((request) => request.method === 'POST');
    expect(pushes.map((push) => push.mutations)).toEqual([500, 500, 200]);
    // Each next batch arrived while the answer before it was not stored yet: nothing left the outbox.
    expect(pushes.map((push) => push.outboxAtArrival)).toEqual([1_200, 1_200, 700]);
  });

  it('reads and encodes the next batch while one is on the wire, and counts only what was sent as attempted', async () => {
    let rowsRead = 0;
    const reads: number[] = [];
    const peekWire = store.outbox.peekWire.bind(store.outbox);
    vi.spyOn(store.outbox, 'peekWire').mockImplementation((limit, afterSeq) => {
      const rows = peekWire(limit, afterSeq);
      rowsRead += rows.length;
      reads.push(limit);
      return rows;
    });
    const attempted = () =>
      (store.db.prepare('SELECT count(*) AS n FROM outbox WHERE attempts > 0').get() as { n: number }).n;
    queueCheckins(1_200);
    engine['pushSender']['sizer'].tooLarge(1_000); // batches of 500
    const first = server.hold('POST');
    engine.requestSync();
    await until(() => server.count('POST', '/sync/push') === 1, 'the first push, held on the server');
    // While the first 500 are on the wire, the other 700 are read (and encoded) already: the next
    // batch needs no outbox read once the answer comes. Held ahead is not attempted.
    await until(() => rowsRead === 1_200, 'the rest read ahead');
    expect(attempted()).toBe(500);
    // In slices of 500, a turn of the event loop between them (the request goes out, scans answered).
    expect(reads.length).toBeGreaterThan(2);
    expect(reads.every((limit) => limit <= 500)).toBe(true);
    first.release();
    await until(() => store.outbox.count() === 0, 'everything acknowledged');
    const pushes = server.pushSizes();
    expect(pushes).toEqual([500, 500, 200]);
    expect(rowsRead).toBe(1_200);
  });

  it('drops what it read ahead after a batch answered only in part: none of it counted as attempted', async () => {
    const ids = queueCheckins(1_000);
    engine['pushSender']['sizer'].tooLarge(1_000); // batches of 500
    server.answerAtMost = 300;
    server.holdPushesFrom = 2;
    engine.requestSync();
    await until(() => server.count('POST', '/sync/push') === 2, 'the resend of what the first left');
    for (let turn = 0; turn < 5; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    const byAttempts = store.db.prepare('SELECT attempts, count(*) AS n FROM outbox GROUP BY attempts').all();
    // 301-500 sent twice, 501-800 once (in the resend); 801-1000 read ahead twice, never sent.
    expect(byAttempts).toEqual([
      { attempts: 0, n: 200 },
      { attempts: 1, n: 300 },
      { attempts: 2, n: 200 },
    ]);
    const pushes = server.sent.filter((request) => request.method === 'POST');
    expect(pushes.map((push) => push.firstId)).toEqual([ids[0], ids[300]]);
  });

  it('sends nothing more until a batch answered only in part is stored, then resends what it left, in order', async () => {
    server.outboxSize = () => store.outbox.count();
    const ids = queueCheckins(1_000);
    engine['pushSender']['sizer'].tooLarge(1_000); // batches of 500
    server.answerAtMost = 300;
    await engine.syncNow().catch(() => undefined);
    server.answerAtMost = Infinity;
    await engine.syncNow();
    expect(store.outbox.count()).toBe(0);
    const pushes = server.sent.filter((request) => request.method === 'POST');
    // 300 of the first 500 answered: the next push starts at the 301st, after that answer was stored.
    expect(pushes[1]).toMatchObject({ firstId: ids[300], outboxAtArrival: 700 });
    expect(pushes.slice(0, 2).map((push) => push.outboxAtArrival)).toEqual([1_000, 700]);
  });

  it('does not pull again for a request its pull already covered', async () => {
    await engine.syncNow();
    // One push round (nothing queued) and one pull: no second round trip after it.
    expect(server.count('GET', '/sync/pull')).toBe(1);
  });
});

describe("sync engine: pulls under a stream of others' check-ins", () => {
  it('paces pulls under a stream: after a pull of many changes the next waits, and takes every poke meanwhile', async () => {
    const pulls = () => server.count('GET', '/sync/pull');
    // The engine's clock stands still unless the test moves it, so a slow machine cannot end the wait early.
    let now = 1_000_000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    onTestFinished(() => clock.mockRestore());
    // One check-in at a time (an idle door): each poke is pulled at once, no timer on the way.
    const timers = vi.getTimerCount();
    server.pullChanges = othersCheckins(1, 500);
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 500 });
    await until(() => pulls() === 1, 'the pull of one check-in');
    await until(() => store.rows.get('checkins', server.pullChanges[0]!.id) !== undefined, 'it stored');
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 501 });
    await until(() => pulls() === 2, 'the next pull, at once');
    expect(vi.getTimerCount()).toBe(timers);

    // A stream: this pull brings 30, so the pokes that follow wait for the pace, then go as one pull.
    const stream = othersCheckins(30, 600);
    server.pullChanges = stream;
    await engine.idle();
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 629 });
    await until(() => pulls() === 3, 'the pull of the stream');
    await until(() => store.rows.get('checkins', stream[29]!.id) !== undefined, 'the stream stored');
    await engine.idle();
    server.pullChanges = othersCheckins(1, 700);
    for (let seq = 630; seq < 640; seq++) FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq });
    for (let turn = 0; turn < 20; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pulls()).toBe(3);
    now += 100;
    await vi.advanceTimersByTimeAsync(100);
    await until(() => pulls() === 4, 'the paced pull');
    for (let turn = 0; turn < 20; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pulls()).toBe(4);
    // That pull brought one change: the stream is over, and the next poke is pulled at once.
    await engine.idle();
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 701 });
    await until(() => pulls() === 5, 'the pull after the stream, at once');
  });

  it('paces the pages of one round under a stream: a page that says more are waiting is followed 100 ms after it was asked for', async () => {
    let now = 1_000_000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    onTestFinished(() => clock.mockRestore());
    const pulls = () => server.count('GET', '/sync/pull');
    // A page of 30 that says more are waiting: others' check-ins landed while it was read.
    server.pullChanges = othersCheckins(30, 800);
    server.pullRemaining = 12;
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 829 });
    await until(() => pulls() === 1, 'the first page');
    await until(() => store.rows.get('checkins', server.pullChanges[29]!.id) !== undefined, 'it stored');
    for (let turn = 0; turn < 20; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pulls()).toBe(1);
    server.pullChanges = othersCheckins(12, 830);
    server.pullRemaining = 0;
    now += 100;
    await vi.advanceTimersByTimeAsync(100);
    await until(() => pulls() === 2, 'the paced page');
    await engine.idle();
    expect(store.rows.get('checkins', server.pullChanges[11]!.id)).toBeDefined();
    expect(pulls()).toBe(2);
  });

  it('paces the next round when pokes arrive during a pull of a stream', async () => {
    let now = 1_000_000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    onTestFinished(() => clock.mockRestore());
    const pulls = () => server.count('GET', '/sync/pull');
    server.pullChanges = othersCheckins(30, 900);
    const held = server.hold('GET');
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 929 });
    await until(() => pulls() === 1, 'the pull, held on the server');
    // Landed while that pull was on the wire: the lane runs another round right after this one.
    FakeSocket.last!.say({ type: 'poke', bucket: 'event:ev1', seq: 930 });
    held.release();
    await until(() => store.rows.get('checkins', server.pullChanges[29]!.id) !== undefined, 'it stored');
    for (let turn = 0; turn < 20; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pulls()).toBe(1);
    now += 100;
    await vi.advanceTimersByTimeAsync(100);
    await until(() => pulls() === 2, 'the paced round');
  });
});
