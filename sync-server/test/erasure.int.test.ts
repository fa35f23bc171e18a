import { randomUUID } from 'node:crypto';
import { ERASED_ATTENDEE_NAME, eventBucket, type Booking, type Event } from '@gatehouse/protocol';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../../tests/support/server';
import type { SignedIn } from '../../tests/support/users';
import { ErasureSweeper } from '../src/bookings/erasure';
import { createEvent, createStaffedEvent, serverWithCastForTests, type Cast } from './events-fixtures';
import { bookingsOf, changesOf, mailRows } from './store-inspect';
import { SimDevice } from './sync-fixtures';

/**
 * Personal-data erasure (issue #20 part 5) over real HTTP, on both stores: an erased booking keeps
 * its code and check-ins, and its name and email are gone from every answer, search, export, the
 * raw change log and a pull from the start, its alerts and its mail; a retried request answers the
 * same; only the organizer or an admin may; events' retention setting erases by days.
 */
let server: TestServer;
let cast: Cast;

serverWithCastForTests((started) => ({ server, cast } = started));

const DAY_MS = 86_400_000;

async function walkIn(event: Event, name: string, email?: string, who: SignedIn = cast.organizer): Promise<Booking> {
  const answer = await who.api.post<Booking>(`/events/${event.id}/bookings`, {
    ticketTypeId: event.ticketTypes[0]!.id,
    attendee: email ? { name, email } : { name },
  });
  expect(answer.status).toBe(201);
  return answer.body;
}

async function csv(who: SignedIn, path: string): Promise<Record<string, string>[]> {
  const answer = await who.api.get<string>(path);
  expect(answer.status).toBe(200);
  return parse(answer.body, { bom: true, columns: true }) as Record<string, string>[];
}

describe('erasure of an attendee', () => {
  it('removes name and email everywhere the server keeps them; code, status and check-ins stay', async () => {
    const name = 'Wilhelmina Quarrington';
    const email = 'wilhelmina.q@example.test';
    const event = await createStaffedEvent(cast, { capacity: 1 });
    const key = randomUUID();
    const booked = await cast.attendee.api.post<Booking>(
      `/events/${event.id}/book`,
      { ticketTypeId: event.ticketTypes[0]!.id, quantity: 1, attendee: { name, email } },
      { headers: { 'idempotency-key': key } },
    );
    expect(booked.status).toBe(201);
    const booking = booked.body;
    // Over capacity: an alert that names the walk-in; two entries: a duplicate-entry alert naming them.
    const overCapacity = await walkIn(event, name, email);
    const other = await walkIn(event, 'Kept Person', 'kept@example.test');
    const device = new SimDevice(cast.staff.api);
    const pushed = await device.push([
      device.checkin(event.id, booking.id, 'in', 'North'),
      device.checkin(event.id, booking.id, 'in', 'South'),
      device.checkin(event.id, other.id, 'in', 'North'),
    ]);
    expect(pushed.results.map((result) => result.status)).toEqual(['applied', 'applied', 'applied']);
    // The confirmation is in the outbox (queued or sent) before the erasure, so there is mail to scrub.
    for (let tries = 0; !(await mailRows(server)).some((row) => row.bookingId === booking.id); tries++) {
      if (tries > 200) throw new Error('the booking confirmation never reached the outbox');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const before = JSON.stringify(await changesOf(server, eventBucket(event.id)));
    expect(before).toContain(name);
    expect(before).toContain(email);

    for (const id of [booking.id, overCapacity.id]) {
      const erased = await cast.organizer.api.post<Booking>(`/bookings/${id}/erasure`);
      expect(erased.status).toBe(200);
      expect(erased.body.attendee).toEqual({ name: ERASED_ATTENDEE_NAME });
      expect(erased.body.erasedAt).toEqual(expect.any(String));
    }
    // A retried request answers the erased booking again, unchanged.
    const again = await cast.admin.api.post<Booking>(`/bookings/${booking.id}/erasure`);
    expect(again.status).toBe(200);
    const stored = await cast.organizer.api.get<{ items: Booking[] }>(`/events/${event.id}/bookings?limit=50`);
    const erasedRow = stored.body.items.find((item) => item.id === booking.id)!;
    expect(again.body).toEqual(erasedRow);
    expect(erasedRow).toMatchObject({ code: booking.code, status: 'confirmed', ticketTypeId: booking.ticketTypeId });
    expect(stored.body.items.find((item) => item.id === other.id)?.attendee).toEqual({
      name: 'Kept Person',
      email: 'kept@example.test',
    });

    // Not found by the old words; found by its code and by the placeholder.
    const search = (q: string) =>
      cast.organizer.api.get<{ items: Booking[] }>(`/events/${event.id}/bookings?q=${encodeURIComponent(q)}`);
    expect((await search('Quarrington')).body.items).toEqual([]);
    expect((await search('wilhelmina')).body.items).toEqual([]);
    expect((await search(booking.code)).body.items.map((item) => item.id)).toEqual([booking.id]);
    expect((await search('erased')).body.items.map((item) => item.id).sort()).toEqual(
      [booking.id, overCapacity.id].sort(),
    );

    // The raw change log, and a device pulling from the start: no trace of the name or email.
    const logged = JSON.stringify(await changesOf(server, eventBucket(event.id)));
    expect(logged).not.toContain('Quarrington');
    expect(logged).not.toContain(email);
    expect(logged).toContain('Kept Person');
    const fresh = new SimDevice(cast.organizer.api);
    const pulled = JSON.stringify(await fresh.pullAll());
    expect(pulled).not.toContain('Quarrington');
    expect(pulled).not.toContain(email);
    const rows = fresh.buckets.get(eventBucket(event.id))!;
    expect(rows.get(`booking:${booking.id}`)).toMatchObject({ doc: { attendee: { name: ERASED_ATTENDEE_NAME } } });

    // Alerts now name no one, and the check-ins are all there.
    const alerts = (await server.ctx.store.alerts.listForEvent(event.id, 50)).filter((alert) =>
      [booking.id, overCapacity.id].includes(alert.bookingId),
    );
    expect(alerts.map((alert) => alert.kind).sort()).toEqual(['duplicateEntry', 'overCapacity']);
    expect(JSON.stringify(alerts)).not.toContain('Quarrington');
    expect(alerts.find((alert) => alert.kind === 'overCapacity')?.message).toBe(
      `Walk-in ${ERASED_ATTENDEE_NAME} was admitted beyond capacity`,
    );
    expect(alerts.find((alert) => alert.kind === 'duplicateEntry')?.message).toContain(`(${ERASED_ATTENDEE_NAME})`);
    expect((await server.ctx.store.checkins.listForBooking(booking.id)).length).toBe(2);

    // Mail records of the booking hold neither address nor name nor body; none is still to be sent.
    const mail = (await mailRows(server)).filter((row) => row.bookingId === booking.id);
    expect(mail.length).toBeGreaterThan(0);
    expect(JSON.stringify(mail)).not.toContain('Quarrington');
    expect(JSON.stringify(mail)).not.toContain(email);
    for (const row of mail) expect(['sent', 'discarded', 'sending']).toContain(row.status);

    // A retry of the original booking request (its Idempotency-Key) is answered without the data.
    const replay = await cast.attendee.api.post<Booking>(
      `/events/${event.id}/book`,
      { ticketTypeId: event.ticketTypes[0]!.id, quantity: 1, attendee: { name, email } },
      { headers: { 'idempotency-key': key } },
    );
    expect(replay.status).toBe(201);
    expect(JSON.stringify(replay.body)).not.toContain('Quarrington');

    // Exports show the placeholder, and keep the door history.
    const attendees = await csv(cast.organizer, `/events/${event.id}/exports/attendees.csv`);
    const line = attendees.find((row) => row.code === booking.code)!;
    expect(line).toMatchObject({ name: ERASED_ATTENDEE_NAME, email: '', checkedIn: 'inside' });
    expect(line.erasedAt).not.toBe('');
    const log = await csv(cast.organizer, `/events/${event.id}/exports/checkins.csv`);
    expect(log.filter((row) => row.bookingCode === booking.code).map((row) => row.attendeeName)).toEqual([
      ERASED_ATTENDEE_NAME,
      ERASED_ATTENDEE_NAME,
    ]);
  });

  it('deletes the attendee photo: the booking names none and the picture is gone', async () => {
    const event = await createStaffedEvent(cast);
    const booking = await walkIn(event, 'Pictured Person');
    const picture = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    const photoUrl = `${server.baseUrl}/bookings/${booking.id}/photo`;
    const auth = { authorization: `Bearer ${cast.organizer.accessToken}` };
    const put = await fetch(photoUrl, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'image/jpeg' },
      body: new Uint8Array(picture),
    });
    expect(put.status).toBe(200);
    expect((await fetch(photoUrl, { headers: auth })).status).toBe(200);

    const erased = await cast.organizer.api.post<Booking>(`/bookings/${booking.id}/erasure`);
    expect(erased.status).toBe(200);
    expect(erased.body.photoId ?? null).toBeNull();
    expect((await fetch(photoUrl, { headers: auth })).status).toBe(404);
    const rows = new SimDevice(cast.organizer.api);
    await rows.pullAll();
    const doc = rows.buckets.get(eventBucket(event.id))!.get(`booking:${booking.id}`)!.doc as Booking;
    expect(doc.photoId ?? null).toBeNull();
  });

  it('only the organizer of the event or an admin may erase; others get a code and nothing changes', async () => {
    const event = await createStaffedEvent(cast);
    const booking = await walkIn(event, 'Not Yours');
    for (const [who, status, code] of [
      [cast.staff, 403, 'FORBIDDEN'],
      [cast.otherOrganizer, 403, 'FORBIDDEN'],
      [cast.attendee, 403, 'FORBIDDEN'],
    ] as const) {
      const refused = await who.api.post<{ error: { code: string } }>(`/bookings/${booking.id}/erasure`);
      expect(refused.status, who.user.name).toBe(status);
      expect(refused.body.error.code).toBe(code);
    }
    const draft = await createEvent(cast.organizer.api, { status: 'draft' });
    const hidden = await walkIn(draft, 'Hidden Guest');
    const notFound = await cast.otherOrganizer.api.post<{ error: { code: string } }>(`/bookings/${hidden.id}/erasure`);
    expect(notFound.status).toBe(404);
    expect(notFound.body.error.code).toBe('NOT_FOUND');
    const missing = await cast.admin.api.post<{ error: { code: string } }>(`/bookings/${randomUUID()}/erasure`);
    expect(missing.status).toBe(404);
    expect((await bookingsOf(server, event.id)).map((row) => row.attendee.name)).toEqual(['Not Yours']);
  });
});

describe('the retention setting eraseAttendeesAfterDays', () => {
  it('is validated (1…3650 or null) and round-trips', async () => {
    const event = await createEvent(cast.organizer.api);
    expect(event.eraseAttendeesAfterDays).toBeNull();
    for (const bad of [0, 3651, 1.5, '30']) {
      const refused = await cast.organizer.api.patch<{ error: { code: string } }>(`/events/${event.id}`, {
        eraseAttendeesAfterDays: bad,
      });
      expect(refused.status, String(bad)).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    }
    const set = await cast.organizer.api.patch<Event>(`/events/${event.id}`, { eraseAttendeesAfterDays: 30 });
    expect(set.body.eraseAttendeesAfterDays).toBe(30);
    const cleared = await cast.organizer.api.patch<Event>(`/events/${event.id}`, { eraseAttendeesAfterDays: null });
    expect(cleared.body.eraseAttendeesAfterDays).toBeNull();
  });

  it('the sweeper erases the attendees of events N days after they end, in bounded batches', async () => {
    const now = Date.now();
    const endsAt = now - DAY_MS;
    const event = await createEvent(cast.organizer.api, {
      startsAt: new Date(endsAt - 4 * 3_600_000).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
      eraseAttendeesAfterDays: 2,
    });
    const keep = await createEvent(cast.organizer.api, {
      startsAt: new Date(endsAt - 4 * 3_600_000).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
    });
    const guests = [await walkIn(event, 'Ada One'), await walkIn(event, 'Bo Two'), await walkIn(event, 'Cy Three')];
    const kept = await walkIn(keep, 'Dee Kept');
    let clock = endsAt + 2 * DAY_MS - 1;
    const sweeper = new ErasureSweeper(
      server.ctx.store,
      { info: () => {}, warn: () => {} },
      { now: () => clock, batch: 2 },
    );

    expect(await sweeper.sweep()).toBe(0);
    clock = endsAt + 2 * DAY_MS;
    expect(await sweeper.sweep()).toBe(2);
    expect(await sweeper.sweep()).toBe(1);
    expect(await sweeper.sweep()).toBe(0);
    const names = (await bookingsOf(server, event.id)).map((row) => row.attendee.name);
    expect(names).toEqual(guests.map(() => ERASED_ATTENDEE_NAME));
    expect((await server.ctx.store.bookings.findById(kept.id))?.attendee.name).toBe('Dee Kept');
  });
});
