import { randomUUID } from 'node:crypto';
import { routes, type Booking, type Event } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../../tests/support/http';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { IdempotencyKeys } from '../src/http/idempotency';
import { createStaffedEvent, eventInput, signInCast, type Cast } from './events-fixtures';
import { bookingsOf } from './store-inspect';

/**
 * "A retried create never creates twice": every creating POST takes an Idempotency-Key and answers
 * a retry with the first answer (http/idempotency.ts). Run on both stores.
 */
let server: TestServer;
let cast: Cast;

beforeAll(async () => {
  server = await startTestServer();
  cast = await signInCast(server);
});
afterAll(async () => {
  await server.close();
});

const keyed = (key: string) => ({ headers: { 'idempotency-key': key } });
const walkInBody = (event: Event, name = 'Door Guest') => ({
  ticketTypeId: event.ticketTypes[0]!.id,
  attendee: { name, email: 'door.guest@example.org' },
});
const walkIn = (api: Cast['anonymous'], event: Event, body: object, key: string) =>
  api.post<Booking>(`/events/${event.id}/bookings`, body, keyed(key));
const bookedCount = async (event: Event) => (await cast.admin.api.get<Event>(`/events/${event.id}`)).body.bookedCount;

describe('Idempotency-Key on creating routes', () => {
  it('a walk-in sent twice with one key adds one booking, takes one seat, and answers the same twice', async () => {
    const event = await createStaffedEvent(cast, { staffWalkIns: true });
    const key = randomUUID();
    const first = await walkIn(cast.staff.api, event, walkInBody(event), key);
    const retry = await walkIn(cast.staff.api, event, walkInBody(event), key);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect((await bookingsOf(server, event.id)).map((b) => b.id)).toEqual([first.body.id]);
    expect(await bookedCount(event)).toBe(1);
  });

  it('concurrent retries of one walk-in add it once', async () => {
    const event = await createStaffedEvent(cast, { staffWalkIns: true });
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => walkIn(cast.staff.api, event, walkInBody(event), key)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(5).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await bookingsOf(server, event.id)).toHaveLength(1);
    expect(await bookedCount(event)).toBe(1);
  });

  it('an event created twice with one key is one event, with its ticket types, answered the same', async () => {
    const title = `Idempotent ${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    const body = eventInput({ title });
    const first = await cast.organizer.api.post<Event>('/events', body, keyed(key));
    const retry = await cast.organizer.api.post<Event>('/events', body, keyed(key));
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    const found = await cast.organizer.api.get<{ items: Event[] }>(`/events?q=${encodeURIComponent(title)}`);
    expect(found.body.items.map((e) => e.id)).toEqual([first.body.id]);
    expect(found.body.items[0]!.ticketTypes).toHaveLength(2);
  });

  it('a key reused with another body or on another route is 422 IDEMPOTENCY_KEY_REUSED and creates nothing', async () => {
    const event = await createStaffedEvent(cast);
    const key = randomUUID();
    expect((await walkIn(cast.organizer.api, event, walkInBody(event), key)).status).toBe(201);
    const otherBody = await walkIn(cast.organizer.api, event, walkInBody(event, 'Someone Else'), key);
    expect(otherBody.status).toBe(422);
    expect(otherBody.body).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    const otherRoute = await cast.organizer.api.post('/events', eventInput(), keyed(key));
    expect(otherRoute.status).toBe(422);
    expect(otherRoute.body).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(await bookingsOf(server, event.id)).toHaveLength(1);
  });

  it("another user's request with the same key is their own: never given the first user's answer", async () => {
    const event = await createStaffedEvent(cast, { staffWalkIns: true });
    const key = randomUUID();
    const organizers = await walkIn(cast.organizer.api, event, walkInBody(event), key);
    const staffs = await walkIn(cast.staff.api, event, walkInBody(event), key);
    expect(staffs.status).toBe(201);
    expect(staffs.headers.get('idempotent-replayed')).toBeNull();
    expect(staffs.body.id).not.toBe(organizers.body.id);
    expect([organizers.body.userId, staffs.body.userId]).toEqual([cast.organizer.user.id, cast.staff.user.id]);
    expect(await bookedCount(event)).toBe(2);
  });

  it('a first attempt that died after creating (a claim 30 s old, no answer) is re-run under its id: answered, not added twice', async () => {
    const event = await createStaffedEvent(cast, { staffWalkIns: true });
    const staff = (await server.ctx.store.users.findById(cast.staff.user.id))!;
    const body = walkInBody(event);
    const bookingId = randomUUID();
    // What the dead attempt left: its booking, and its claim without an answer.
    await server.ctx.bookings.walkIn(staff, event.id, body, { bookingId });
    const key = randomUUID();
    const requestHash = IdempotencyKeys.hashRequest(routes['bookings.walkIn'], {
      params: { id: event.id },
      query: {},
      body,
    });
    await server.ctx.store.idempotency.claim(`${staff.id}:${key}`, requestHash, bookingId, Date.now() - 60_000);
    const retry = await walkIn(cast.staff.api, event, body, key);
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(bookingId);
    expect(await bookingsOf(server, event.id)).toHaveLength(1);
    expect(await bookedCount(event)).toBe(1);
  });

  it('a key is forgotten after its time: an old claim of another request does not stand in the way', async () => {
    const event = await createStaffedEvent(cast, { staffWalkIns: true });
    const key = randomUUID();
    const dayAndMore = 25 * 3_600_000;
    await server.ctx.store.idempotency.claim(
      `${cast.staff.user.id}:${key}`,
      'another-request',
      randomUUID(),
      Date.now() - dayAndMore,
    );
    expect((await walkIn(cast.staff.api, event, walkInBody(event), key)).status).toBe(201);
    expect(await bookedCount(event)).toBe(1);
  });

  it('registration is never replayed: the same key again is 409 EMAIL_TAKEN, no tokens', async () => {
    const key = randomUUID();
    const body = { email: uniqueEmail('idem'), password: 'correct horse battery', name: 'Idem Potent' };
    expect((await cast.anonymous.post('/auth/register', body, keyed(key))).status).toBe(201);
    const again = await cast.anonymous.post('/auth/register', body, keyed(key));
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: expect.objectContaining({ code: 'EMAIL_TAKEN' }) });
  });

  it('OpenAPI documents the header, with its replay rules, on every idempotent route', async () => {
    const docs = (await cast.anonymous.get('/docs/json')).body;
    const headerOf = (path: string) =>
      (docs.paths[path].post.parameters as Array<{ in: string; name: string; description?: string }>).find(
        (p) => p.in === 'header' && p.name === 'idempotency-key',
      );
    for (const path of ['/events/{id}/bookings', '/events', '/events/{id}/book', '/events/{id}/ticket-keys/rotate']) {
      expect(headerOf(path)?.description, path).toMatch(/same status and body/);
    }
    expect(docs.paths['/auth/register'].post.parameters ?? []).toEqual([]);
  });
});
