import { type Booking, eventBucket, type Event, type Photo, userBucket } from '@gatehouse/protocol';
import { eventInput } from './events-fixtures';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../../tests/support/server';
import type { SignedIn } from '../../tests/support/users';
import { createStaffedEvent, serverWithCastForTests, type Cast } from './events-fixtures';
import { SimDevice } from './sync-fixtures';

/**
 * Photos over real HTTP, on the store the run uses (SQLite, then FerretDB): uploads re-encoded,
 * reads with ETag / 304, who may put, read and delete, bad bodies refused with their codes, and a
 * booking's new photo id reaching devices through /sync/pull.
 */
let server: TestServer;
let cast: Cast;

serverWithCastForTests((started) => ({ server, cast } = started));

type Answer = { status: number; headers: Headers; json: any; bytes: Buffer };

async function call(
  who: SignedIn | null,
  method: string,
  url: string,
  options: { body?: Uint8Array | string; type?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (who) headers.authorization = `Bearer ${who.accessToken}`;
  if (options.type) headers['content-type'] = options.type;
  const body =
    typeof options.body === 'string' || options.body === undefined ? options.body : new Uint8Array(options.body);
  const response = await fetch(server.baseUrl + url, { method, headers, body });
  const bytes = Buffer.from(await response.arrayBuffer());
  let json: unknown = null;
  if ((response.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(bytes.toString('utf8'));
  return { status: response.status, headers: response.headers, json, bytes };
}

const jpeg = (width = 640, height = 480, colour = '#2a6') =>
  sharp({ create: { width, height, channels: 3, background: colour } })
    .jpeg()
    .withExif({ IFD0: { Artist: 'SecretArtist' } })
    .toBuffer();
const png = () =>
  sharp({ create: { width: 300, height: 300, channels: 4, background: '#36c8' } })
    .png()
    .toBuffer();

async function bookingOf(event: Event, who: SignedIn = cast.organizer): Promise<Booking> {
  const result = await who.api.post<Booking>(`/events/${event.id}/bookings`, {
    ticketTypeId: event.ticketTypes[0]!.id,
    attendee: { name: 'Photo Guest' },
  });
  expect(result.status).toBe(201);
  return result.body;
}

describe('profile photos', () => {
  it('upload: re-encoded to WebP within 512×512 without metadata; GET /users/me names it', async () => {
    const me = cast.staff;
    const put = await call(me, 'PUT', '/users/me/photo', { body: await jpeg(1024, 768), type: 'image/jpeg' });
    expect(put.status).toBe(200);
    const photo = put.json as Photo;
    expect(photo).toMatchObject({ contentType: 'image/webp', width: 512, height: 384 });
    expect((await me.api.get('/users/me')).body.photoId).toBe(photo.photoId);

    const got = await call(me, 'GET', `/users/${me.user.id}/photo`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/webp');
    expect(got.headers.get('etag')).toBe(`"${photo.photoId}"`);
    expect(got.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    expect(got.bytes.byteLength).toBe(photo.byteLength);
    expect(got.bytes.toString('latin1')).not.toContain('SecretArtist');
    expect(await sharp(got.bytes).metadata()).toMatchObject({ format: 'webp', width: 512, height: 384 });

    const again = await call(me, 'GET', `/users/${me.user.id}/photo`, {
      headers: { 'if-none-match': `"${photo.photoId}"` },
    });
    expect(again.status).toBe(304);
    expect(again.bytes.byteLength).toBe(0);
    expect(again.headers.get('etag')).toBe(`"${photo.photoId}"`);
    const stale = await call(me, 'GET', `/users/${me.user.id}/photo`, { headers: { 'if-none-match': '"other"' } });
    expect(stale.status).toBe(200);
  });

  it('a PNG sent as image/jpeg (a lying label) is read as the PNG it is and stored', async () => {
    const put = await call(cast.otherStaff, 'PUT', '/users/me/photo', { body: await png(), type: 'image/jpeg' });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ contentType: 'image/webp', width: 300, height: 300 });
  });

  it('who may read a profile photo: themselves, admins, and who serves an event with them; others NOT_FOUND', async () => {
    const me = cast.staff;
    await call(me, 'PUT', '/users/me/photo', { body: await jpeg(), type: 'image/jpeg' });
    const url = `/users/${me.user.id}/photo`;
    // Before any shared event: the organizer does not see it.
    const stranger = await call(cast.otherOrganizer, 'GET', url);
    expect(stranger.status).toBe(404);
    expect(stranger.json.error.code).toBe('NOT_FOUND');
    await createStaffedEvent(cast);
    expect((await call(cast.organizer, 'GET', url)).status).toBe(200);
    expect((await call(cast.admin, 'GET', url)).status).toBe(200);
    expect((await call(cast.otherOrganizer, 'GET', url)).status).toBe(404);
    expect((await call(cast.attendee, 'GET', url)).status).toBe(404);
    expect((await call(null, 'GET', url)).status).toBe(401);
  });

  it('delete: the photo is gone (NOT_FOUND), the profile says none; deleting again is ok', async () => {
    const me = cast.attendee;
    expect((await call(me, 'PUT', '/users/me/photo', { body: await jpeg(), type: 'image/jpeg' })).status).toBe(200);
    const removed = await call(me, 'DELETE', '/users/me/photo');
    expect(removed).toMatchObject({ status: 200, json: { ok: true } });
    expect((await me.api.get('/users/me')).body.photoId ?? null).toBeNull();
    expect((await call(me, 'GET', `/users/${me.user.id}/photo`)).status).toBe(404);
    expect((await call(me, 'DELETE', '/users/me/photo')).status).toBe(200);
  });

  it('its new photo id reaches the user’s devices through their own bucket', async () => {
    const me = cast.otherAttendee;
    const device = new SimDevice(me.api);
    await device.pullAll();
    const put = await call(me, 'PUT', '/users/me/photo', { body: await jpeg(), type: 'image/jpeg' });
    await device.pullAll();
    expect(device.doc(userBucket(me.user.id), 'user', me.user.id)).toMatchObject({ photoId: put.json.photoId });
  });
});

describe('bad image bodies, each with its code', () => {
  const put = (body: Uint8Array | string | undefined, type?: string) =>
    call(cast.staff, 'PUT', '/users/me/photo', { ...(body === undefined ? {} : { body }), ...(type ? { type } : {}) });

  it('GIF and SVG, whatever they are labelled: IMAGE_TYPE_UNSUPPORTED (415)', async () => {
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .gif()
      .toBuffer();
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>';
    for (const [body, type] of [
      [gif, 'image/gif'],
      [gif, 'image/jpeg'],
      [svg, 'image/svg+xml'],
      [svg, 'image/png'],
    ] as const) {
      const answer = await put(body, type);
      expect(answer.status, type).toBe(415);
      expect(answer.json.error.code, type).toBe('IMAGE_TYPE_UNSUPPORTED');
    }
  });

  it('a body that is not declared as an image (text, JSON) is IMAGE_TYPE_UNSUPPORTED too', async () => {
    for (const [body, type] of [
      ['just text', 'text/plain'],
      ['{"photo":"x"}', 'application/json'],
    ] as const) {
      const answer = await put(body, type);
      expect(answer.status, type).toBe(415);
      expect(answer.json.error.code, type).toBe('IMAGE_TYPE_UNSUPPORTED');
    }
  });

  it('0 bytes: IMAGE_EMPTY (400), with a type or without', async () => {
    for (const answer of [await put(new Uint8Array(0), 'image/png'), await put(undefined)]) {
      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('IMAGE_EMPTY');
    }
  });

  it('6 MB: IMAGE_TOO_LARGE (413), nothing stored', async () => {
    const before = (await cast.staff.api.get('/users/me')).body.photoId;
    const answer = await put(Buffer.alloc(6 * 1024 * 1024, 7), 'image/jpeg');
    expect(answer.status).toBe(413);
    expect(answer.json.error.code).toBe('IMAGE_TOO_LARGE');
    expect((await cast.staff.api.get('/users/me')).body.photoId).toBe(before);
  });

  it('random bytes labelled image/jpeg: IMAGE_INVALID (422)', async () => {
    const answer = await put(Buffer.from('not a picture at all, only words'), 'image/jpeg');
    expect(answer.status).toBe(422);
    expect(answer.json.error.code).toBe('IMAGE_INVALID');
  });
});

describe('attendee photos on bookings', () => {
  it('the organizer uploads; the booking row changes and reaches /sync/pull; staff read it with ETag and 304', async () => {
    const event = await createStaffedEvent(cast);
    const booking = await bookingOf(event);
    const device = new SimDevice(cast.staff.api);
    await device.pullAll();
    const before = device.buckets.get(eventBucket(event.id))?.get(`booking:${booking.id}`);
    expect(before).toBeDefined();
    expect((before!.doc as Booking).photoId ?? null).toBeNull();

    const put = await call(cast.organizer, 'PUT', `/bookings/${booking.id}/photo`, {
      body: await jpeg(800, 800),
      type: 'image/jpeg',
    });
    expect(put.status).toBe(200);
    const photoId = (put.json as Photo).photoId;
    await device.pullAll();
    const after = device.buckets.get(eventBucket(event.id))!.get(`booking:${booking.id}`)!;
    expect(after.rev).toBe(before!.rev + 1);
    expect(after.doc).toMatchObject({ id: booking.id, photoId });

    const got = await call(cast.staff, 'GET', `/bookings/${booking.id}/photo`);
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe(`"${photoId}"`);
    expect(await sharp(got.bytes).metadata()).toMatchObject({ format: 'webp', width: 512, height: 512 });
    const cached = await call(cast.staff, 'GET', `/bookings/${booking.id}/photo`, {
      headers: { 'if-none-match': `W/"${photoId}", "x"` },
    });
    expect(cached.status).toBe(304);

    // Replacing it: a new id, a new row version.
    const replaced = await call(cast.admin, 'PUT', `/bookings/${booking.id}/photo`, {
      body: await jpeg(200, 300, '#c22'),
      type: 'image/jpeg',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json.photoId).not.toBe(photoId);
    await device.pullAll();
    expect(device.doc(eventBucket(event.id), 'booking', booking.id)).toMatchObject({ photoId: replaced.json.photoId });
    const fresh = await call(cast.staff, 'GET', `/bookings/${booking.id}/photo`, {
      headers: { 'if-none-match': `"${photoId}"` },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('etag')).toBe(`"${replaced.json.photoId}"`);

    // Removing it: the booking says no photo, on the server and on the device.
    const removed = await call(cast.organizer, 'DELETE', `/bookings/${booking.id}/photo`);
    expect(removed.status).toBe(200);
    await device.pullAll();
    expect(device.doc<Booking>(eventBucket(event.id), 'booking', booking.id)?.photoId ?? null).toBeNull();
    expect((await call(cast.staff, 'GET', `/bookings/${booking.id}/photo`)).status).toBe(404);
  });

  it('who may put, read and delete: organizer and admin change; staff read only; others NOT_FOUND', async () => {
    const event = await createStaffedEvent(cast);
    const booking = await bookingOf(event);
    const url = `/bookings/${booking.id}/photo`;
    const body = await jpeg();
    expect((await call(cast.organizer, 'PUT', url, { body, type: 'image/jpeg' })).status).toBe(200);

    const staffPut = await call(cast.staff, 'PUT', url, { body, type: 'image/jpeg' });
    expect(staffPut.status).toBe(403);
    expect(staffPut.json.error.code).toBe('FORBIDDEN');
    expect((await call(cast.staff, 'DELETE', url)).status).toBe(403);

    for (const who of [cast.otherOrganizer, cast.otherStaff, cast.attendee]) {
      for (const method of ['PUT', 'GET', 'DELETE']) {
        const answer = await call(who, method, url, method === 'PUT' ? { body, type: 'image/jpeg' } : {});
        expect(answer.status, `${who.user.name} ${method}`).toBe(404);
        expect(answer.json.error.code).toBe('NOT_FOUND');
      }
    }
    expect((await call(null, 'GET', url)).status).toBe(401);
    for (const who of [cast.organizer, cast.staff, cast.admin]) {
      expect((await call(who, 'GET', url)).status, who.user.name).toBe(200);
    }
    // The photo is still there after every refusal.
    expect((await call(cast.admin, 'DELETE', url)).status).toBe(200);
    expect((await call(cast.organizer, 'GET', url)).status).toBe(404);
  });

  it("an online booking: its attendee may read its photo but not change it; the organizer's own booking is theirs to change", async () => {
    const event = await createStaffedEvent(cast);
    const ticketTypeId = event.ticketTypes[0]!.id;
    const mine = await cast.attendee.api.post<Booking>(`/events/${event.id}/book`, { ticketTypeId, quantity: 1 });
    expect(mine.status).toBe(201);
    const url = `/bookings/${mine.body.id}/photo`;
    const body = await jpeg();
    const refused = await call(cast.attendee, 'PUT', url, { body, type: 'image/jpeg' });
    expect(refused.status).toBe(403);
    expect((await call(cast.organizer, 'PUT', url, { body, type: 'image/jpeg' })).status).toBe(200);
    expect((await call(cast.attendee, 'GET', url)).status).toBe(200);
    expect((await call(cast.otherAttendee, 'GET', url)).status).toBe(404);

    const own = await cast.organizer.api.post<Booking>(`/events/${event.id}/book`, { ticketTypeId, quantity: 1 });
    expect(own.status).toBe(201);
    const ownPut = await call(cast.organizer, 'PUT', `/bookings/${own.body.id}/photo`, { body, type: 'image/jpeg' });
    expect(ownPut.status).toBe(200);
  });

  it('racing uploads to one booking settle on one photo: the row names the one that is stored', async () => {
    const event = await createStaffedEvent(cast);
    const booking = await bookingOf(event);
    const url = `/bookings/${booking.id}/photo`;
    const colours = ['#111', '#822', '#282', '#228', '#888', '#c5c'];
    const bodies = await Promise.all(colours.map((colour) => jpeg(300, 300, colour)));
    const answers = await Promise.all(
      bodies.map((body) => call(cast.organizer, 'PUT', url, { body, type: 'image/jpeg' })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(colours.map(() => 200));
    const served = await call(cast.staff, 'GET', url);
    const row = await server.ctx.store.bookings.findById(booking.id);
    expect(served.headers.get('etag')).toBe(`"${row?.photoId}"`);
    expect(answers.map((answer) => answer.json.photoId)).toContain(row?.photoId);
  });

  it('an unknown booking is NOT_FOUND, and a bad image on a booking gets its code', async () => {
    const missing = await call(cast.admin, 'PUT', '/bookings/no-such-booking/photo', {
      body: await jpeg(),
      type: 'image/jpeg',
    });
    expect(missing.status).toBe(404);
    const event = await createStaffedEvent(cast);
    const booking = await bookingOf(event);
    const empty = await call(cast.organizer, 'PUT', `/bookings/${booking.id}/photo`, {
      body: new Uint8Array(0),
      type: 'image/webp',
    });
    expect(empty.json.error.code).toBe('IMAGE_EMPTY');
    expect((await server.ctx.store.bookings.findById(booking.id))?.photoId ?? null).toBeNull();
  });
});

describe('ticket types that require a photo', () => {
  it('are kept as the organizer says, left out means false, and reach devices in the event doc', async () => {
    const created = await cast.organizer.api.post<Event>(
      '/events',
      eventInput({
        ticketTypes: [
          { name: 'Day pass', price: 0, quota: 10 },
          { name: 'Season pass', price: 0, quota: 10, requiresPhoto: true },
        ],
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body.ticketTypes.map((type) => type.requiresPhoto ?? false)).toEqual([false, true]);
    const [day, season] = created.body.ticketTypes;
    const patched = await cast.organizer.api.patch<Event>(`/events/${created.body.id}`, {
      ticketTypes: [
        { id: day!.id, name: day!.name, price: 0, quota: 10, requiresPhoto: true },
        { id: season!.id, name: season!.name, price: 0, quota: 10 },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.body.ticketTypes.map((type) => type.requiresPhoto ?? false)).toEqual([true, false]);
    const device = new SimDevice(cast.organizer.api);
    await device.pullAll();
    const doc = device.doc<Event>(eventBucket(created.body.id), 'event', created.body.id);
    expect(doc?.ticketTypes.map((type) => type.requiresPhoto ?? false)).toEqual([true, false]);
    const refused = await cast.organizer.api.patch<{ error: { code: string } }>(`/events/${created.body.id}`, {
      ticketTypes: [{ id: day!.id, name: day!.name, price: 0, quota: 10, requiresPhoto: 'yes' }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_FAILED');
  });
});
