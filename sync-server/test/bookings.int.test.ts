import { randomUUID } from 'node:crypto';
import { bookingSchema, eventBucket, type Booking, type Event } from '@gatehouse/protocol';
import { Collection, type Filter } from 'mongodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../../tests/support/server';
import type { BookingRow } from '../src/bookings/rows';
import { signInAs } from '../../tests/support/users';
import { createEvent, createStaffedEvent, mailHandedOff, signInCast, type Cast } from './events-fixtures';

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
const bookingRow = (id: string) => server.ctx.bookings.bookings.findOne({ _id: id });
const userDoc = async (id: string) => (await server.ctx.users.findById(id))!;

/** The event's live counts, its held seats and its confirmed bookings must all agree. */
async function expectCountersConsistent(eventId: string): Promise<void> {
  const event = (await cast.admin.api.get<Event>(`/events/${eventId}`)).body;
  const confirmed = await server.ctx.bookings.bookings.find({ eventId, status: 'confirmed' }).toArray();
  const seats = confirmed.reduce((sum, booking) => sum + booking.quantity, 0);
  expect(event.bookedCount).toBe(seats);
  const held = await server.ctx.bookings.seats.seats.find({ eventId }).toArray();
  const heldBy = new Set(held.map((seat) => seat.bookingId));
  // Every seat belongs to a confirmed booking; walk-ins let in over capacity hold none.
  for (const bookingId of heldBy) expect(confirmed.map((b) => b._id)).toContain(bookingId);
  const holding = confirmed.filter((b) => !b.overCapacity);
  expect(held.filter((seat) => seat.scope === 'all')).toHaveLength(holding.reduce((sum, b) => sum + b.quantity, 0));
  expect(held.filter((seat) => seat.scope === 'all').every((seat) => seat.slot < event.capacity)).toBe(true);
  for (const type of event.ticketTypes) {
    const sold = confirmed.filter((b) => b.ticketTypeId === type.id).reduce((sum, b) => sum + b.quantity, 0);
    expect(type.sold).toBe(sold);
    const typeSeats = held.filter((seat) => seat.scope === `type-${type.id}`);
    expect(typeSeats.every((seat) => seat.slot < type.quota)).toBe(true);
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
    const logged = await server.ctx.changeLog.changes.findOne({
      bucket: eventBucket(event.id),
      type: 'booking',
      id: result.body.id,
    });
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
    expect(retry.status).toBe(200);
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
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await server.ctx.bookings.bookings.countDocuments({ eventId: event.id })).toBe(1);
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
    const logged = await server.ctx.changeLog.changes.distinct('id', {
      bucket: eventBucket(event.id),
      type: 'booking',
    });
    expect(logged.sort()).toEqual(
      (await server.ctx.bookings.bookings.find({ eventId: event.id }).toArray()).map((b) => b._id).sort(),
    );
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

  it('seats a crash left held are given back: booking never written, or cancelled but not released', async () => {
    const event = await createEvent(cast.organizer.api, {
      capacity: 2,
      ticketTypes: [{ name: 'Standard', price: 0, quota: 2 }],
    });
    const ledger = server.ctx.bookings.seats;
    const scopes = [{ scope: 'all' as const, limit: 2 }];
    // A server died after holding a seat and before inserting its booking.
    expect(await ledger.hold(event.id, randomUUID(), 1, scopes)).toHaveLength(1);
    // Another died after cancelling a booking and before releasing its seat.
    const cancelled = (await book(cast.attendee.api, event)).body as Booking;
    await ledger.unconfirmBooking(cancelled.id);
    await server.ctx.bookings.bookings.updateOne({ _id: cancelled.id }, { $set: { status: 'cancelled' } });
    expect((await book(cast.attendee.api, event)).body.error.code).toBe('SOLD_OUT');

    // A fresh hold is left alone (its booking may still be on its way); an old one is repaired.
    expect(await server.ctx.bookings.repairSeats()).toBe(0);
    expect(await server.ctx.bookings.repairSeats(0)).toBe(1);
    expect(await ledger.seats.countDocuments({ eventId: event.id })).toBe(0);
    const rebooked = await book(cast.attendee.api, event, 2);
    expect(rebooked.status).toBe(201);

    // A crash before the cancel itself: the booking stands, so its seats are kept, and confirmed.
    await ledger.unconfirmBooking(rebooked.body.id);
    expect(await server.ctx.bookings.repairSeats(0)).toBe(0);
    const kept = await ledger.seats.find({ bookingId: rebooked.body.id }).toArray();
    // Two seats, each held in the type's quota and in the event's capacity.
    expect(kept).toHaveLength(4);
    expect(kept.filter((seat) => seat.heldSince !== undefined)).toEqual([]);
    await expect.poll(async () => (await cast.admin.api.get(`/events/${event.id}`)).body.bookedCount).toBe(2);
  });

  // FerretDB (the test database) rewrites whole documents without isolation: a write that read the
  // booking before a cancel can put it back to confirmed. These two hold the racing write at the
  // point where it does harm, since the real interleaving is too rare to wait for.
  it('a mail sweep of a booking waits for its cancel to be written, so it cannot put the booking back', async () => {
    const event = await createEvent(cast.organizer.api);
    const { sweeper } = server.ctx.mail;
    let releaseCancel = () => {};
    const cancelHeld = new Promise<void>((resolve) => (releaseCancel = resolve));
    await sweeper.stop();
    try {
      const booking = (await book(cast.attendee.api, event, 2)).body as Booking;
      const rows = server.ctx.bookings.bookings;
      const write = rows.findOneAndUpdate.bind(rows) as (...args: unknown[]) => Promise<unknown>;
      const cancelWrite = vi.spyOn(rows, 'findOneAndUpdate').mockImplementationOnce((async (...args: unknown[]) => {
        await cancelHeld;
        return write(...args);
      }) as never);
      const updates = vi.spyOn(Collection.prototype, 'updateOne');
      const markRemovals = () =>
        updates.mock.calls.filter(
          ([filter, update]) => (filter as { _id?: string })._id === booking.id && '$pullAll' in update,
        );

      const cancelling = cast.attendee.api.post(`/bookings/${booking.id}/cancel`);
      await vi.waitFor(() => expect(cancelWrite).toHaveBeenCalled());
      const sweeping = sweeper.sweepOnce();
      await sleep(300);
      expect(markRemovals()).toHaveLength(0);
      releaseCancel();
      expect((await cancelling).status).toBe(200);
      await sweeping;
      expect(markRemovals()).toHaveLength(1);
      expect((await bookingRow(booking.id))!.status).toBe('cancelled');
      await expectCountersConsistent(event.id);
    } finally {
      releaseCancel();
      sweeper.start(server.ctx.config.mail.pollMs);
    }
  });

  it('a booking another process puts back to confirmed mid-cancel is cancelled again, and counted once more', async () => {
    const event = await createEvent(cast.organizer.api);
    const booking = (await book(cast.attendee.api, event, 3)).body as Booking;
    const { events } = server.ctx;
    const rows = server.ctx.bookings.bookings;
    const scheduleRecount = events.scheduleRecount.bind(events);
    let staleWrite: Promise<void> | undefined;
    vi.spyOn(events, 'scheduleRecount').mockImplementation((eventId) => {
      if (staleWrite) return scheduleRecount(eventId);
      // The cancel's first recount runs while another process's stale copy of the booking is back.
      staleWrite = (async () => {
        await rows.updateOne({ _id: booking.id }, { $set: { status: 'confirmed', cancelledAt: null } });
        scheduleRecount(eventId);
        await events.countsSettled(eventId);
      })();
    });
    const read = rows.findOne.bind(rows) as (filter: Filter<BookingRow>) => Promise<BookingRow | null>;
    vi.spyOn(rows, 'findOne').mockImplementation((async (filter: Filter<BookingRow>) => {
      await staleWrite;
      return read(filter);
    }) as never);

    const cancelled = await cast.attendee.api.post(`/bookings/${booking.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(staleWrite).toBeDefined();
    vi.restoreAllMocks();
    expect((await bookingRow(booking.id))!.status).toBe('cancelled');
    expect((await cast.admin.api.get(`/events/${event.id}`)).body.bookedCount).toBe(0);
    await expectCountersConsistent(event.id);
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
    await server.ctx.events.countsSettled(event.id);
    await expectCountersConsistent(event.id);
    // The race underneath, head on: the first marks of an event, written at once, all succeed.
    for (let round = 0; round < 5; round++) {
      const eventId = `race-${randomUUID()}`;
      await Promise.all(Array.from({ length: 20 }, () => server.ctx.events.owesRecount(eventId)));
    }
  });

  it('walk-ins: organizer and assigned staff add them, accepted over capacity and flagged', async () => {
    const event = await createStaffedEvent(cast, {
      capacity: 1,
      ticketTypes: [{ name: 'Door', price: 0, quota: 1 }],
    });
    const body = { ticketTypeId: event.ticketTypes[0]!.id, attendee: { name: 'Walk In' } };
    const first = await cast.staff.api.post(`/events/${event.id}/bookings`, body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ source: 'walkIn', overCapacity: false, userId: cast.staff.user.id });
    expect((await bookingRow(first.body.id))!.mailPending).toEqual([]);
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
    const event = await createStaffedEvent(cast);
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
    expect(await server.ctx.bookings.bookings.countDocuments({ eventId: event.id })).toBe(1);
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
    // Check-in rows as the check-in domain writes them.
    const checkin = (bookingId: string, gate: string, direction: 'in' | 'out', scannedAt: string) => ({
      _id: randomUUID(),
      eventId: event.id,
      bookingId,
      gate,
      direction,
      scannedAt,
      deviceId: randomUUID(),
      staffId: cast.staff.user.id,
      hlc: '000000000000000:00000:x',
      receivedAt: new Date().toISOString(),
    });
    await server.ctx.db
      .collection('checkins')
      .insertMany([
        checkin(a.id, 'North', 'in', '2026-12-01T18:05:00.000Z'),
        checkin(a.id, 'North', 'out', '2026-12-01T18:40:00.000Z'),
        checkin(a.id, 'South', 'in', '2026-12-01T19:10:00+01:00'),
        checkin(b.id, 'South', 'in', '2026-12-01T19:20:00.000Z'),
        checkin(b.id, 'South', 'out', '2026-12-01T20:00:00.000Z'),
      ] as never[]);
    await server.ctx.db.collection('checkins').insertOne(checkin(a.id, 'North', 'in', 'x') as never);
    await server.ctx.db
      .collection('checkins')
      .insertOne({ ...checkin(a.id, 'North', 'in', '2026-12-01T18:00:00Z'), eventId: 'another-event' } as never);

    const result = await cast.staff.api.get(`/events/${event.id}/stats`);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      eventId: event.id,
      capacity: 100,
      booked: 3,
      cancelled: 4,
      checkedIn: 2,
      inside: 1,
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

describe('seat recounts', () => {
  it('a booking that arrives while the last recount removes its mark is still counted', async () => {
    const event = await createStaffedEvent(cast, {
      capacity: 10,
      ticketTypes: [{ name: 'Door', price: 0, quota: 10 }],
    });
    const body = { ticketTypeId: event.ticketTypes[0]!.id, attendee: { name: 'Walk In' } };
    // Hold the first recount at the removal of its mark, the last step before it is done.
    const removeMark = Collection.prototype.deleteOne;
    let reachedRemoval = false;
    let releaseRemoval = () => {};
    const removalHeld = new Promise<void>((resolve) => (releaseRemoval = resolve));
    vi.spyOn(Collection.prototype, 'deleteOne').mockImplementation(async function (
      this: Collection,
      ...args: Parameters<Collection['deleteOne']>
    ) {
      const filter = args[0] as { _id?: unknown } | undefined;
      if (this.collectionName === 'recountsOwed' && filter?._id === event.id && !reachedRemoval) {
        reachedRemoval = true;
        await removalHeld;
      }
      return removeMark.apply(this, args);
    } as never);
    try {
      expect((await cast.staff.api.post(`/events/${event.id}/bookings`, body)).status).toBe(201);
      await vi.waitFor(() => expect(reachedRemoval).toBe(true));
      expect((await cast.organizer.api.post(`/events/${event.id}/bookings`, body)).status).toBe(201);
    } finally {
      releaseRemoval();
    }
    expect((await cast.admin.api.get(`/events/${event.id}`)).body.bookedCount).toBe(2);
    await expectCountersConsistent(event.id);
  });
});

describe('closing the server', () => {
  it('lets the seat recount a booking started finish before the database client closes', async () => {
    const own = await startTestServer();
    const [organizer, attendee] = await Promise.all([signInAs(own, 'organizer'), signInAs(own, 'attendee')]);
    const event = await createEvent(organizer.api);
    const booked = await book(attendee.api, event, 2);
    expect(booked.status).toBe(201);
    // At once: the recount the booking scheduled is still running when close() begins.
    await own.close();
    const reopened = await startTestServer({ dbName: own.config.mongodbDb });
    try {
      const row = await reopened.ctx.events.events.findOne({ _id: event.id });
      expect(row?.bookedCount).toBe(2);
      const logged = await reopened.ctx.changeLog.changes
        .find({ bucket: eventBucket(event.id), type: 'event', id: event.id })
        .toArray();
      expect(logged.some((change) => (change.doc as { bookedCount?: number } | null)?.bookedCount === 2)).toBe(true);
    } finally {
      await reopened.close();
    }
  });

  it('a recount owed by a process killed before it is done by the next process to start', async () => {
    const own = await startTestServer();
    const [organizer, attendee] = await Promise.all([signInAs(own, 'organizer'), signInAs(own, 'attendee')]);
    const event = await createEvent(organizer.api);
    expect((await book(attendee.api, event, 3)).status).toBe(201);
    await own.ctx.events.countsSettled(event.id);
    // What a kill -9 right after a booking write leaves: its mark, and a snapshot that missed it.
    await own.ctx.events.events.updateOne({ _id: event.id }, { $set: { bookedCount: 0, typeSold: {} } });
    await own.ctx.db
      .collection<{ _id: string; at: Date; n: number }>('recountsOwed')
      .insertOne({ _id: event.id, at: new Date(Date.now() - 60_000), n: 1 });
    await own.close();
    const next = await startTestServer({ dbName: own.config.mongodbDb });
    try {
      expect((await next.ctx.events.events.findOne({ _id: event.id }))?.bookedCount).toBe(3);
      expect(await next.ctx.db.collection<{ _id: string }>('recountsOwed').findOne({ _id: event.id })).toBeNull();
    } finally {
      await next.close();
    }
  });
});
