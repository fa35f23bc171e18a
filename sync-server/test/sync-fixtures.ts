import { randomUUID } from 'node:crypto';
import {
  HybridClock,
  pullResponseSchema,
  type Event,
  type MutationName,
  type PullResponse,
  type PushResponse,
} from '@gatehouse/protocol';
import WebSocket from 'ws';
import type { ApiClient } from '../../tests/support/http';
import type { TestServer } from '../../tests/support/server';
import { bookingsOf } from './store-inspect';

const HOUR_MS = 3_600_000;

export function eventBody(overrides: Record<string, unknown> = {}) {
  const start = Date.now() + 2 * HOUR_MS;
  return {
    title: 'Dockside Festival',
    venue: 'Harbour Hall',
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(start + 6 * HOUR_MS).toISOString(),
    timezone: 'Europe/Berlin',
    capacity: 1000,
    status: 'published',
    ticketTypes: [{ name: 'Standard', price: 1500, quota: 1000 }],
    ...overrides,
  };
}

/**
 * Retries a 5xx a few times, as a device does: under heavy load FerretDB's SQLite backend answers
 * "database is locked", and a push is safe to repeat (exactly-once), a pull too.
 */
async function withRetry<T>(send: () => Promise<{ status: number; body: T }>): Promise<{ status: number; body: T }> {
  let result = await send();
  for (let attempt = 1; attempt <= 12 && result.status >= 500; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    result = await send();
  }
  return result;
}

async function expectStatus<T>(what: string, result: Promise<{ status: number; body: T }>, status: number): Promise<T> {
  const settled = await result;
  if (settled.status !== status) throw new Error(`${what}: ${settled.status} ${JSON.stringify(settled.body)}`);
  return settled.body;
}

/** A published event of `organizer` with `staffIds` assigned, through the REST routes. */
export async function createEvent(
  organizer: ApiClient,
  staffIds: string[] = [],
  overrides: Record<string, unknown> = {},
): Promise<Event> {
  const event = await expectStatus<Event>('create event', organizer.post('/events', eventBody(overrides)), 201);
  if (staffIds.length) await assignStaff(organizer, event.id, staffIds);
  return event;
}

export function assignStaff(organizer: ApiClient, eventId: string, staffIds: string[]): Promise<Event> {
  return expectStatus<Event>('assign staff', organizer.put(`/events/${eventId}/staff`, { staffIds }), 200);
}

/** A walk-in booking added over REST by the organizer; returns its id. */
export async function addBooking(organizer: ApiClient, event: Event, name = 'Walk In'): Promise<string> {
  const booking = await expectStatus<{ id: string }>(
    'walk-in',
    organizer.post(`/events/${event.id}/bookings`, { ticketTypeId: event.ticketTypes[0]!.id, attendee: { name } }),
    201,
  );
  return booking.id;
}

type PushMutation = { id: string; name: MutationName | string; args: unknown; hlc: string };
type Row = { rev: number; doc: unknown };

/**
 * A simulated device: its own id and clock, a cursor, and the rows it has pulled per bucket keyed
 * `type:id`, keeping the highest rev (as the desktop core does). Talks real HTTP.
 */
export class SimDevice {
  readonly clock: HybridClock;
  cursor: string | undefined;
  readonly buckets = new Map<string, Map<string, Row>>();
  readonly removed: string[] = [];
  private readonly lastSeq = new Map<string, number>();
  pulls = 0;

  constructor(
    public api: ApiClient,
    now: () => number = Date.now,
    readonly deviceId: string = randomUUID(),
  ) {
    this.clock = new HybridClock(this.deviceId.slice(0, 8), now);
  }

  mutation(name: MutationName | string, args: unknown): PushMutation {
    return { id: randomUUID(), name, args, hlc: this.clock.tick() };
  }

  checkin(eventId: string, bookingId: string, direction: 'in' | 'out' = 'in', gate = 'North'): PushMutation {
    return this.mutation('checkin.record', {
      id: randomUUID(),
      eventId,
      bookingId,
      gate,
      direction,
      scannedAt: new Date().toISOString(),
    });
  }

  async pushRaw(mutations: PushMutation[]) {
    return this.api.post<any>('/sync/push', { mutations }, { headers: { 'x-device-id': this.deviceId } });
  }

  async push(mutations: PushMutation[]): Promise<PushResponse> {
    const response = await expectStatus<PushResponse>(
      'push',
      withRetry(() => this.pushRaw(mutations)),
      200,
    );
    this.clock.receive(response.serverHlc);
    return response;
  }

  async pullOnce(limit = 500): Promise<PullResponse> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (this.cursor) query.set('cursor', this.cursor);
    const body = await expectStatus<PullResponse>(
      'pull',
      withRetry(() => this.api.get(`/sync/pull?${query}`, { headers: { 'x-device-id': this.deviceId } })),
      200,
    );
    const page = pullResponseSchema.parse(body);
    this.pulls += 1;
    for (const bucket of page.bucketsRemoved) {
      this.buckets.delete(bucket);
      this.lastSeq.delete(bucket);
      this.removed.push(bucket);
    }
    for (const bucket of page.bucketsAdded) if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
    for (const change of page.changes) {
      // Per bucket, seqs only ever increase across pages: nothing is published below a cursor.
      const lastSeq = this.lastSeq.get(change.bucket) ?? 0;
      if (change.seq <= lastSeq) {
        throw new Error(
          `${change.bucket}: seq ${change.seq} after ${lastSeq}; page ${JSON.stringify(page.changes.map((c) => [c.bucket.slice(6, 10), c.seq]))} added ${page.bucketsAdded} removed ${page.bucketsRemoved}`,
        );
      }
      this.lastSeq.set(change.bucket, change.seq);
      const rows = this.buckets.get(change.bucket);
      if (!rows) throw new Error(`change for ${change.bucket}, a bucket the device was never given`);
      const key = `${change.type}:${change.id}`;
      const existing = rows.get(key);
      if (!existing || existing.rev < change.rev) rows.set(key, { rev: change.rev, doc: change.doc });
    }
    this.cursor = page.cursor;
    return page;
  }

  /** Pulls until the server says there is nothing more ready; bounded. */
  async pullAll(limit = 500): Promise<PullResponse[]> {
    const pages: PullResponse[] = [];
    for (let i = 0; i < 1000; i++) {
      const page = await this.pullOnce(limit);
      pages.push(page);
      if (!page.hasMore) return pages;
    }
    throw new Error('pullAll did not finish in 1000 pages');
  }

  /** `type:id → rev` of one bucket, for comparing with the server. */
  snapshot(bucket: string, types?: string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const [key, row] of this.buckets.get(bucket) ?? []) {
      if (row.doc !== null && (!types || types.includes(key.split(':')[0]!))) out.set(key, row.rev);
    }
    return out;
  }

  doc<T = any>(bucket: string, type: string, id: string): T | undefined {
    return this.buckets.get(bucket)?.get(`${type}:${id}`)?.doc as T | undefined;
  }
}

/** The server's current rows of an event as `type:id → rev`, read from the store (not its change log). */
export async function serverSnapshot(server: TestServer, eventId: string, type?: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const { store } = server.ctx;
  const sources: Array<[string, () => Promise<Array<{ id: string; rev: number }>>]> = [
    ['checkin', () => store.checkins.listForEvent(eventId)],
    ['alert', () => store.alerts.listForEvent(eventId, 1_000_000)],
    ['booking', () => bookingsOf(server, eventId)],
  ];
  for (const [kind, read] of sources) {
    if (type && kind !== type) continue;
    for (const row of await read()) out.set(`${kind}:${row.id}`, row.rev);
  }
  return out;
}

export type LiveClient = {
  ws: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
  waitFor: (predicate: (message: any) => boolean, timeoutMs?: number) => Promise<any>;
};

/** Opens `/sync/live` and authenticates with the first message (unless `auth: false`). */
export async function openLive(
  server: TestServer,
  options: { token?: string; deviceId?: string; origin?: string; auth?: boolean; autoPong?: boolean } = {},
): Promise<LiveClient> {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/sync/live`, {
    ...(options.origin ? { origin: options.origin } : {}),
    autoPong: options.autoPong ?? true,
  });
  const messages: any[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const wake of waiters) wake();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_request, response) =>
      reject(new Error(`upgrade refused: ${response.statusCode}`)),
    );
  });
  const waitFor = (predicate: (message: any) => boolean, timeoutMs = 10_000) =>
    new Promise<any>((resolve, reject) => {
      const check = () => {
        const found = messages.find(predicate);
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        } else if (ws.readyState === WebSocket.CLOSED) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`socket closed; messages: ${JSON.stringify(messages)}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages.slice(-5))}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  if (options.auth !== false) {
    ws.send(JSON.stringify({ type: 'auth', accessToken: options.token, deviceId: options.deviceId ?? randomUUID() }));
    await waitFor((m) => m.type === 'ready' || m.type === 'error');
  }
  return { ws, messages, closed, waitFor };
}
