import { randomUUID } from 'node:crypto';
import { bookingSchema, eventBucket, type Booking, type Event } from '@gatehouse/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { reopenedDbName, startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs } from '../../tests/support/users';
import { createEvent, createStaffedEvent, mailHandedOff, signInCast, type Cast } from './events-fixtures';
import { bookingsOf, changesOf } from './store-inspect';

let server: TestServer;
let cast: Cast;

beforeAll(async () => {
  server = await startTestServer();
  cast = await signInCast(server);
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const book = (api: Cast['anonymous'], event: Event, quantity = 1, type = 0, headers?: Record<string, string>) =>
  api.post(`/events/${event.id}/book`, { ticketTypeId: event.ticketTypes[type]!.id, quantity }, { headers });
const bookingRow = (id: string) => server.ctx.store.bookings.findById(id);
const userDoc = async (id: string) => (await server.ctx.store.users.findById(id))!;

/** The event's counts and its confirmed bookings agree, and no limit is exceeded but by flagged walk-ins. */
async function expectCountersConsistent(eventId: string): Promise<void> {
  const event = (await cast.admin.api.get<Event>(`/events/${eventId}`)).body;
  const confirmed = (await bookingsOf(server, eventId)).filter((b) => b.status === 'confirmed');
  const seats = confirmed.reduce((sum, booking) => sum + booking.quantity, 0);
  expect(event.bookedCount).toBe(seats);
  const holding = confirmed.filter((b) => !b.overCapacity);
  expect(holding.reduce((sum, b) => sum + b.quantity, 0)).toBeLessThanOrEqual(event.capacity);
  for (const type of event.ticketTypes) {
    const ofType = confirmed.filter((b) => b.ticketTypeId === type.id);
    expect(type.sold).toBe(ofType.reduce((sum, b) => sum + b.quantity, 0));
    expect(ofType.filter((b) => !b.overCapacity).reduce((sum, b) => sum + b.quantity, 0)).toBeLessThanOrEqual(
      type.quota,
    );
  }
}

describe('POST /events/:id/book', () => {
  it('books a published event for the signed-in user, with their name and email, and logs it', async () => {
    const event = await createEvent(cast.organizer.api);
    const result = await book(cast.attendee.api, event, 3);
    expect(result.status).toBe(201);
    expect(bookingSchema.strict().safeParse(result.body).success).toBe(true);
    expect(result.body).toMatchObject({
      eventId: event.id,
      userId: cast.attendee.user.id,
      quantity: 3,
      status: 'confirmed',
      source: 'online',
      overCapacity: false,
      attendee: { name: cast.attendee.user.name, email: cast.attendee.user.email },
      cancelledAt: null,
    });
    expect(result.body.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    const after = await cast.attendee.api.get(`/events/${event.id}`);
    expect(after.body.bookedCount).toBe(3);
    expect(after.body.ticketTypes[0].sold).toBe(3);
    expect(await mailHandedOff(server, 'booking', result.body.id, 'bookingConfirmed')).toBe(true);
    const logged = (await changesOf(server, eventBucket(event.id))).find(
      (change) => change.type === 'booking' && change.id === result.body.id,
    );
    expect(logged?.doc).toEqual(result.body);
    await expectCountersConsistent(event.id);
  });

  it('refuses anonymous, hidden drafts, unpublished and cancelled events, unknown types, too many seats', async () => {
    const event = await createEvent(cast.organizer.api, {
      capacity: 5,
      ticketTypes: [
        { name: 'Standard', price: 0, quota: 4 },
        { name: 'VIP', price: 0, quota: 1 },
      ],
    });
    expect((await book(cast.anonymous, event)).status).toBe(401);
    const draft = await createEvent(cast.organizer.api, { status: 'draft' });
    const hidden = await book(cast.attendee.api, draft);
    expect(hidden.status).toBe(404);
    const ownDraft = await book(cast.organizer.api, draft);
    expect(ownDraft.status).toBe(409);
    expect(ownDraft.body.error.code).toBe('EVENT_NOT_BOOKABLE');
    const unknownType = await cast.attendee.api.post(`/events/${event.id}/book`, { ticketTypeId: 'nope', quantity: 1 });
    expect(unknownType.status).toBe(422);
    expect(unknownType.body.error.code).toBe('UNPROCESSABLE');
    const overQuota = await book(cast.attendee.api, event, 2, 1);
    expect(overQuota.status).toBe(409);
    expect(overQuota.body.error.code).toBe('SOLD_OUT');
    expect((await book(cast.attendee.api, event, 4, 0)).status).toBe(201);
    const overCapacity = await book(cast.attendee.api, event, 2, 1);
    expect(overCapacity.status).toBe(409);
    expect(overCapacity.body.error.code).toBe('SOLD_OUT');
    expect((await book(cast.otherAttendee.api, event, 1, 1)).status).toBe(201);
    expect((await book(cast.otherAttendee.api, event, 1, 0)).body.error.code).toBe('SOLD_OUT');
    await cast.organizer.api.patch(`/events/${event.id}`, { status: 'cancelled', capacity: 100 });
    // Cancelled events are hidden from attendees; their organizer sees why booking fails.
    expect((await book(cast.attendee.api, event, 1, 0)).status).toBe(404);
    const cancelledEvent = await book(cast.organizer.api, event, 1, 0);
    expect(cancelledEvent.status).toBe(409);
    expect(cancelledEvent.body.error.code).toBe('EVENT_NOT_BOOKABLE');
    await expectCountersConsistent(event.id);
  });

  it('bad input: quantity out of range, unknown fields, operators, huge names, bad ids', async () => {
    const event = await createEvent(cast.organizer.api);
    const typeId = event.ticketTypes[0]!.id;
    const bodies: Array<[string, unknown]> = [
      ['zero', { ticketTypeId: typeId, quantity: 0 }],
      ['negative', { ticketTypeId: typeId, quantity: -3 }],
      ['too many', { ticketTypeId: typeId, quantity: 11 }],
      ['fraction', { ticketTypeId: typeId, quantity: 1.5 }],
      ['string quantity', { ticketTypeId: typeId, quantity: '1' }],
      ['unknown field', { ticketTypeId: typeId, quantity: 1, status: 'confirmed' }],
      ['operator', { ticketTypeId: { $ne: null }, quantity: 1 }],
      ['bad type id', { ticketTypeId: 'a.b', quantity: 1 }],
      ['huge name', { ticketTypeId: typeId, quantity: 1, attendee: { name: 'x'.repeat(50_000) } }],
      ['bad email', { ticketTypeId: typeId, quantity: 1, attendee: { name: 'A', email: 'not-an-email' } }],
    ];
    for (const [name, body] of bodies) {
      const result = await cast.attendee.api.post(`/events/${event.id}/book`, body);
      expect(result.status, name).toBe(400);
      expect(result.body.error.code, name).toBe('VALIDATION_FAILED');
    }
    expect((await book(cast.attendee.api, event, 1, 0, { 'idempotency-key': 'short' })).status).toBe(400);
    expect((await book(cast.attendee.api, event, 1, 0, { 'idempotency-key': 'has spaces in it' })).status).toBe(400);
    expect((await cast.admin.api.get(`/events/${event.id}`)).body.bookedCount).toBe(0);
  });
});

describe('idempotency keys', () => {
  it('a retry with the same key and body books once; a different body is refused', async () => {
    const event = await createEvent(cast.organizer.api);
    const key = randomUUID();
    const first = await book(cast.attendee.api, event, 2, 0, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const retry = await book(cast.attendee.api, event, 2, 0, { 'idempotency-key': key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    const reused = await book(cast.attendee.api, event, 3, 0, { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Keys are per user: another attendee's identical key is a separate request.
    const other = await book(cast.otherAttendee.api, event, 2, 0, { 'idempotency-key': key });
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
    expect((await cast.admin.api.get(`/events/${event.id}`)).body.bookedCount).toBe(4);
  });

  it('concurrent retries of one key produce one booking', async () => {
    const event = await createEvent(cast.organizer.api);
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => book(cast.attendee.api, event, 1, 0, { 'idempotency-key': key })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(7);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await bookingsOf(server, event.id)).toHaveLength(1);
    expect((await cast.admin.api.get(`/events/${event.id}`)).body.bookedCount).toBe(1);
  });

  it('a request that failed (sold out) frees its key for a later retry', async () => {
    const event = await createEvent(cast.organizer.api, {
      capacity: 1,
      ticketTypes: [{ name: 'Only', price: 0, quota: 1 }],
    });
    const mine = await book(cast.otherAttendee.api, event);
    const key = randomUUID();
    expect((await book(cast.attendee.api, event, 1, 0, { 'idempotency-key': key })).body.error.code).toBe('SOLD_OUT');
    await cast.otherAttendee.api.post(`/bookings/${mine.body.id}/cancel`);
    expect((await book(cast.attendee.api, event, 1, 0, { 'idempotency-key': key })).status).toBe(201);
  });
});

describe('capacity under concurrency', () => {
  it('50 parallel bookings for the last 10 seats: exactly 10 confirmed, 40 sold out, counters consistent', async () => {
    const event = await createEvent(cast.organizer.api, {
      capacity: 20,
      ticketTypes: [
        { name: 'Standard', price: 1000, quota: 20 },
        { name: 'VIP', price: 5000, quota: 20 },
      ],
    });
    for (let i = 0; i < 5; i++) expect((await book(cast.otherAttendee.api, event, 2, i % 2)).status).toBe(201);
    const buyers = await Promise.all(Array.from({ length: 5 }, (_, i) => signInAs(server, 'attendee', `Buyer ${i}`)));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => book(buyers[i % buyers.length]!.api, event, 1, i % 2)),
    );
    const confirmed = results.filter((r) => r.status === 201);
    const soldOut = results.filter((r) => r.status === 409);
    expect(confirmed).toHaveLength(10);
    expect(soldOut).toHaveLength(40);
    for (const result of soldOut) {
      expect(result.body.error.code).toBe('SOLD_OUT');
      expect(result.body.error.message).toMatch(/seats/);
    }
    expect((await cast.attendee.api.get(`/events/${event.id}`)).body.bookedCount).toBe(20);
    await expectCountersConsistent(event.id);
    const logged = [
      ...new Set((await changesOf(server, eventBucket(event.id))).filter((c) => c.type === 'booking').map((c) => c.id)),
    ];
    expect(logged.sort()).toEqual((await bookingsOf(server, event.id)).map((b) => b.id).sort());
    expect(logged).toHaveLength(15);
  });

  it('per-type quota holds under concurrency while seats remain overall', async () => {
    const event = await createEvent(cast.organizer.api, {
      capacity: 100,
      ticketTypes: [
        { name: 'Standard', price: 1000, quota: 95 },
        { name: 'VIP', price: 5000, quota: 3 },
      ],
    });
    const results = await Promise.all(Array.from({ length: 12 }, () => book(cast.attendee.api, event, 1, 1)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 409 && r.body.error.code === 'SOLD_OUT')).toHaveLength(9);
    await expectCountersConsistent(event.id);
  });
});

describe('POST /bookings/:id/cancel', () => {
  it('the attendee (own), the organizer and admins cancel; others cannot; seats come back once', async () => {
    const event = await createStaffedEvent(cast);
    const own = (await book(cast.attendee.api, event, 2)).body as Booking;
    for (const who of [cast.otherAttendee, cast.otherOrganizer, cast.otherStaff]) {
      const refused = await who.api.post(`/bookings/${own.id}/cancel`);
      expect(refused.status, who.user.name).toBe(404);
      expect(refused.body.error.code).toBe('NOT_FOUND');
    }
    const staff = await cast.staff.api.post(`/bookings/${own.id}/cancel`);
    expect(staff.status).toBe(403);
    expect((await cast.anonymous.post(`/bookings/${own.id}/cancel`)).status).toBe(401);
    expect((await bookingRow(own.id))!.status).toBe('confirmed');

    const cancelled = await cast.attendee.api.post(`/bookings/${own.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: own.id, status: 'cancelled', cancelledAt: expect.any(String) });
    const again = await cast.attendee.api.post(`/bookings/${own.id}/cancel`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(cancelled.body);
    expect((await cast.admin.api.get(`/events/${event.id}`)).body.bookedCount).toBe(0);
    expect(await mailHandedOff(server, 'booking', own.id, 'bookingCancelled')).toBe(true);

    const byOrganizer = (await book(cast.attendee.api, event)).body as Booking;
    expect((await cast.organizer.api.post(`/bookings/${byOrganizer.id}/cancel`)).status).toBe(200);
    const byAdmin = (await book(cast.attendee.api, event)).body as Booking;
    expect((await cast.admin.api.post(`/bookings/${byAdmin.id}/cancel`)).status).toBe(200);

    const raced = (await book(cast.attendee.api, event, 3)).body as Booking;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? cast.organizer : cast.attendee).api.post(`/bookings/${raced.id}/cancel`),
      ),
    );
    expect(results.every((r) => r.status === 200 && r.body.status === 'cancelled')).toBe(true);
    await expectCountersConsistent(event.id);
    expect((await cast.admin.api.get(`/events/${event.id}`)).body.bookedCount).toBe(0);
  });

  it('non-existent → 404, wrong shape → 400', async () => {
    expect((await cast.admin.api.post(`/bookings/${randomUUID()}/cancel`)).status).toBe(404);
    for (const bad of ['a.b', 'x'.repeat(65), '%24where']) {
      const result = await cast.admin.api.post(`/bookings/${bad}/cancel`);
      expect(result.status, bad).toBe(400);
      expect(result.body.error.code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('GET /bookings/me', () => {
  it('lists only my own online bookings, newest first, paged', async () => {
    const me = await signInAs(server, 'attendee', 'Paging Person');
    const event = await createEvent(cast.organizer.api);
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) mine.push(((await book(me.api, event)).body as Booking).id);
    await book(cast.otherAttendee.api, event);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const result: { status: number; body: { items: Booking[]; nextCursor: string | null } } = await me.api.get(
        `/bookings/me?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(result.status).toBe(200);
      seen.push(...result.body.items.map((b) => b.id));
      cursor = result.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([...mine].reverse());
    expect((await cast.anonymous.get('/bookings/me')).status).toBe(401);
    expect((await me.api.get('/bookings/me?userId=someone')).status).toBe(400);
  });
});

describe('GET/POST /events/:id/bookings (organizer list and walk-ins)', () => {
  it('the organizer, assigned staff and admins list; others are refused', async () => {
    const event = await createStaffedEvent(cast);
    await book(cast.attendee.api, event);
    for (const who of [cast.organizer, cast.staff, cast.admin]) {
      const result = await who.api.get(`/events/${event.id}/bookings`);
      expect(result.status, who.user.name).toBe(200);
      expect(result.body.items).toHaveLength(1);
    }
    for (const who of [cast.otherOrganizer, cast.otherStaff, cast.attendee]) {
      const result = await who.api.get(`/events/${event.id}/bookings`);
      expect(result.status, who.user.name).toBe(403);
      expect(result.body.error.code).toBe('FORBIDDEN');
    }
    const draft = await createEvent(cast.organizer.api, { status: 'draft' });
    expect((await cast.otherOrganizer.api.get(`/events/${draft.id}/bookings`)).status).toBe(404);
    expect((await cast.anonymous.get(`/events/${event.id}/bookings`)).status).toBe(401);
  });

  it('searches by name, email and code prefix, filters by status, pages stably', async () => {
    const event = await createStaffedEvent(cast);
    const names = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov'];
    const created: Booking[] = [];
    for (let batch = 0; batch < 5; batch++) {
      // Five at a time; within a batch creation order is undefined, so `created` is re-sorted below.
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, j) => {
          const i = batch * 5 + j;
          const name = `${names[i % names.length]} ${i}`;
          const email = `${name.split(' ')[0]!.toLowerCase()}.${i}@example.org`;
          return cast.organizer.api.post(`/events/${event.id}/bookings`, {
            ticketTypeId: event.ticketTypes[0]!.id,
            attendee: { name, email },
          });
        }),
      );
      for (const result of results) expect(result.status).toBe(201);
      created.push(...results.map((result) => result.body as Booking));
    }
    const byName = (n: number) => created.find((b) => b.attendee.name.endsWith(` ${n}`))!;
    const list = async (query: string) =>
      ((await cast.staff.api.get(`/events/${event.id}/bookings?${query}`)).body.items as Booking[]).map((b) => b.id);
    expect(await list('q=ada')).toHaveLength(5);
    expect(await list('q=LOVE')).toHaveLength(5);
    expect(await list('q=ada%20lovelace%2010')).toEqual([byName(10).id]);
    expect(await list(`q=${encodeURIComponent('grace.6@example.org')}`)).toEqual([byName(6).id]);
    expect(await list(`q=${byName(17).code.toLowerCase()}`)).toEqual([byName(17).id]);
    expect(await list('q=.*')).toEqual([]);
    expect(await list('q=%5E')).toEqual([]);

    await cast.organizer.api.post(`/bookings/${byName(3).id}/cancel`);
    expect(await list('status=cancelled')).toEqual([byName(3).id]);
    expect(await list('status=confirmed&limit=500')).toHaveLength(24);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result: { body: { items: Booking[]; nextCursor: string | null } } = await cast.organizer.api.get(
        `/events/${event.id}/bookings?limit=10${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...result.body.items.map((b) => b.id));
      cursor = result.body.nextCursor;
      if (!cursor) break;
    }
    const ordered = [...created].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || (a.id < b.id ? -1 : 1));
    expect(seen).toEqual(ordered.map((b) => b.id));
    for (const query of ['cursor=garbage', 'limit=1000', 'q[$regex]=a', 'sort=name']) {
      expect((await cast.organizer.api.get(`/events/${event.id}/bookings?${query}`)).status, query).toBe(400);
    }
  });

  it('walk-ins added all at once to a new event are all accepted and all counted', async () => {
    const event = await createEvent(cast.organizer.api);
    const body = { ticketTypeId: event.ticketTypes[0]!.id, attendee: { name: 'Rush' } };
    const added = await Promise.all(
      Array.from({ length: 30 }, () => cast.organizer.api.post(`/events/${event.id}/bookings`, body)),
    );
    expect(added.map((result) => result.status)).toEqual(Array(30).fill(201));
    await expectCountersConsistent(event.id);
  });

  it('walk-ins: organizer and assigned staff add them, accepted over capacity and flagged', async () => {
    const event = await createStaffedEvent(cast, {
      staffWalkIns: true,
      capacity: 1,
      ticketTypes: [{ name: 'Door', price: 0, quota: 1 }],
    });
    const body = { ticketTypeId: event.ticketTypes[0]!.id, attendee: { name: 'Walk In' } };
    const first = await cast.staff.api.post(`/events/${event.id}/bookings`, body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ source: 'walkIn', overCapacity: false, userId: cast.staff.user.id });
    // No address, no confirmation owed: no hand-off at all (read at once, before a sweep could take it).
    const handoffs = await server.ctx.store.mail.handoffs(10_000);
    expect(handoffs.filter((handoff) => handoff.rowId === first.body.id)).toEqual([]);
    const second = await cast.organizer.api.post(`/events/${event.id}/bookings`, body);
    expect(second.status).toBe(201);
    expect(second.body.overCapacity).toBe(true);
    expect((await cast.admin.api.get(`/events/${event.id}`)).body.bookedCount).toBe(2);
    for (const who of [cast.otherStaff, cast.otherOrganizer, cast.attendee]) {
      expect((await who.api.post(`/events/${event.id}/bookings`, body)).status, who.user.name).toBe(403);
    }
    const bad = await cast.organizer.api.post(`/events/${event.id}/bookings`, { ...body, quantity: 3 });
    expect(bad.status).toBe(400);
    // Walk-ins are not the staff member's own bookings: they do not show in /bookings/me.
    expect((await cast.staff.api.get('/bookings/me')).body.items).toEqual([]);
    await expectCountersConsistent(event.id);
  });

  it('walkIn via the service is idempotent on the device-chosen booking id, even concurrently', async () => {
    const event = await createStaffedEvent(cast, { staffWalkIns: true });
    const staff = await userDoc(cast.staff.user.id);
    const bookingId = randomUUID();
    const input = {
      ticketTypeId: event.ticketTypes[1]!.id,
      attendee: { name: 'Offline Walk-in', email: 'w@example.org' },
    };
    const results = await Promise.all(
      Array.from({ length: 4 }, () => server.ctx.bookings.walkIn(staff, event.id, input, { bookingId })),
    );
    expect(new Set(results.map((b) => b.id))).toEqual(new Set([bookingId]));
    expect(await bookingsOf(server, event.id)).toHaveLength(1);
    expect((await cast.admin.api.get(`/events/${event.id}`)).body.bookedCount).toBe(1);
    const other = await createEvent(cast.organizer.api);
    const organizer = await userDoc(cast.organizer.user.id);
    await expect(server.ctx.bookings.walkIn(organizer, other.id, input, { bookingId })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expectCountersConsistent(event.id);
  });
});

describe('GET /events/:id/stats', () => {
  it('counts booked, cancelled, checked in, inside, by type, gate and hour; only for those who may check in', async () => {
    const event = await createStaffedEvent(cast);
    const [standard, vip] = event.ticketTypes;
    const a = (await book(cast.attendee.api, event, 2, 0)).body as Booking;
    const b = (await book(cast.attendee.api, event, 1, 1)).body as Booking;
    const c = (await book(cast.otherAttendee.api, event, 4, 0)).body as Booking;
    await cast.attendee.api.post(`/bookings/${c.id}/cancel`); // not theirs: refused
    await cast.otherAttendee.api.post(`/bookings/${c.id}/cancel`);
    // Check-in rows as the check-in domain writes them, their HLCs in the order listed (the order
    // the door rules count by; the device times below disagree on purpose).
    let tick = 0;
    const checkin = (bookingId: string, gate: string, direction: 'in' | 'out', scannedAt: string) => ({
      id: randomUUID(),
      eventId: event.id,
      bookingId,
      gate,
      direction,
      scannedAt,
      deviceId: randomUUID(),
      staffId: cast.staff.user.id,
      hlc: `${String(++tick).padStart(15, '0')}:00000:x`,
      receivedAt: new Date().toISOString(),
    });
    const scans = [
      checkin(a.id, 'North', 'in', '2026-12-01T18:05:00.000Z'),
      checkin(a.id, 'North', 'out', '2026-12-01T18:40:00.000Z'),
      checkin(a.id, 'South', 'in', '2026-12-01T19:10:00+01:00'),
      checkin(b.id, 'South', 'in', '2026-12-01T19:20:00.000Z'),
      checkin(b.id, 'South', 'out', '2026-12-01T20:00:00.000Z'),
      // A device whose scan time is garbage still counts, just in no hour.
      checkin(a.id, 'North', 'in', 'x'),
    ];
    for (const scan of scans) await server.ctx.store.checkins.record(scan, () => []);

    const result = await cast.staff.api.get(`/events/${event.id}/stats`);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      eventId: event.id,
      capacity: 100,
      booked: 3,
      cancelled: 4,
      checkedIn: 2,
      inside: 1,
      admittedThenCancelled: 0,
      byTicketType: [
        { ticketTypeId: standard!.id, name: 'Standard', quota: 80, booked: 2, checkedIn: 1 },
        { ticketTypeId: vip!.id, name: 'VIP', quota: 20, booked: 1, checkedIn: 1 },
      ],
      byGate: [
        { gate: 'North', entries: 2, exits: 1 },
        { gate: 'South', entries: 2, exits: 1 },
      ],
      byHour: [
        { hour: '2026-12-01T18:00:00.000Z', entries: 2 },
        { hour: '2026-12-01T19:00:00.000Z', entries: 1 },
      ],
    });
    for (const who of [cast.organizer, cast.admin]) {
      expect((await who.api.get(`/events/${event.id}/stats`)).status, who.user.name).toBe(200);
    }
    for (const who of [cast.otherOrganizer, cast.otherStaff, cast.attendee]) {
      expect((await who.api.get(`/events/${event.id}/stats`)).status, who.user.name).toBe(403);
    }
    expect((await cast.anonymous.get(`/events/${event.id}/stats`)).status).toBe(401);
  });
});

describe('lowered limits', () => {
  it('a lowered capacity or quota is never oversold by 24 concurrent bookings', async () => {
    const event = await createEvent(cast.organizer.api, {
      capacity: 10,
      ticketTypes: [
        { name: 'Standard', price: 1000, quota: 10 },
        { name: 'VIP', price: 5000, quota: 10 },
      ],
    });
    for (let i = 0; i < 5; i++) expect((await book(cast.otherAttendee.api, event, 1, 0)).status).toBe(201);
    const lowered = await cast.organizer.api.patch(`/events/${event.id}`, { capacity: 5 });
    expect(lowered.status).toBe(200);
    const buyers = await Promise.all(Array.from({ length: 4 }, (_, i) => signInAs(server, 'attendee', `Late ${i}`)));
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => book(buyers[i % buyers.length]!.api, event, 1, i % 2)),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 24 }, () => 409));
    expect(results.every((r) => r.body.error.code === 'SOLD_OUT')).toBe(true);
    expect((await cast.admin.api.get(`/events/${event.id}`)).body.bookedCount).toBe(5);

    // A quota lowered below what is sold holds too, while capacity remains.
    const ticketTypes = event.ticketTypes.map(({ id, name, price }, index) => ({
      id,
      name,
      price,
      quota: index === 0 ? 3 : 10,
    }));
    expect((await cast.organizer.api.patch(`/events/${event.id}`, { capacity: 100, ticketTypes })).status).toBe(200);
    const standard = await Promise.all(
      Array.from({ length: 24 }, (_, i) => book(buyers[i % buyers.length]!.api, event, 1, 0)),
    );
    expect(standard.filter((r) => r.status === 201)).toHaveLength(0);
    const vip = await Promise.all(
      Array.from({ length: 24 }, (_, i) => book(buyers[i % buyers.length]!.api, event, 1, 1)),
    );
    expect(vip.filter((r) => r.status === 201)).toHaveLength(10);
    // Bookings made before the limits were lowered stand: 5 Standard (now over its quota of 3), 10 VIP.
    const after = (await cast.admin.api.get<Event>(`/events/${event.id}`)).body;
    expect(after.bookedCount).toBe(15);
    expect(after.ticketTypes.map((type) => type.sold)).toEqual([5, 10]);
  });
});

describe('closing the server', () => {
  it('a booking answered before close() is in the store, counted and logged, when it is opened again', async () => {
    const own = await startTestServer();
    const [organizer, attendee] = await Promise.all([signInAs(own, 'organizer'), signInAs(own, 'attendee')]);
    const event = await createEvent(organizer.api);
    const booked = await book(attendee.api, event, 2);
    expect(booked.status).toBe(201);
    // At once: whatever the store does after answering (a recount on MongoDB) is still running.
    await own.close();
    const reopened = await startTestServer({ dataDir: own.config.dataDir, dbName: reopenedDbName(own) });
    try {
      expect((await reopened.ctx.store.events.findById(event.id))?.bookedCount).toBe(2);
      const logged = (await changesOf(reopened, eventBucket(event.id))).filter(
        (change) => change.type === 'event' && change.id === event.id,
      );
      expect(logged.some((change) => (change.doc as { bookedCount?: number } | null)?.bookedCount === 2)).toBe(true);
    } finally {
      await reopened.close();
    }
  });
});
