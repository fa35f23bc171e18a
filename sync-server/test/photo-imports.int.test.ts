import { type Booking, eventBucket, type Event } from '@gatehouse/protocol';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../../tests/support/server';
import type { SignedIn } from '../../tests/support/users';
import { createStaffedEvent, serverWithCastForTests, type Cast } from './events-fixtures';
import { SimDevice } from './sync-fixtures';

/**
 * Attendee photos put by reference (`PUT /events/:id/attendee-photos/:reference`, the bulk photo
 * import) over real HTTP, on the store the run uses (SQLite, then FerretDB): by door code (any
 * case) and by the external id a CSV import kept, unknown and another event's references, who may,
 * image refusals keeping their codes, repeats, and the booking's new photo id reaching a device.
 */
let server: TestServer;
let cast: Cast;

serverWithCastForTests((started) => ({ server, cast } = started));

type Answer = { status: number; json: any };

async function putPhoto(
  who: SignedIn,
  eventId: string,
  reference: string,
  body: Uint8Array,
  type = 'image/jpeg',
): Promise<Answer> {
  const response = await fetch(`${server.baseUrl}/events/${eventId}/attendee-photos/${encodeURIComponent(reference)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${who.accessToken}`, 'content-type': type },
    body: new Uint8Array(body),
  });
  return { status: response.status, json: await response.json() };
}

const jpeg = (colour = '#2a6') =>
  sharp({ create: { width: 400, height: 500, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();

async function walkIn(event: Event, name: string): Promise<Booking> {
  const result = await cast.organizer.api.post<Booking>(`/events/${event.id}/bookings`, {
    ticketTypeId: event.ticketTypes[0]!.id,
    attendee: { name },
  });
  expect(result.status).toBe(201);
  return result.body;
}

/** Imports one attendee with an external id through the CSV import, and answers their booking. */
async function imported(event: Event, name: string, externalId: string): Promise<Booking> {
  const csv = `name,email,ticket_type,external_id\n${name},,${event.ticketTypes[0]!.name},${externalId}\n`;
  const response = await fetch(`${server.baseUrl}/events/${event.id}/imports?preset=plain`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cast.organizer.accessToken}`, 'content-type': 'text/csv' },
    body: csv,
  });
  expect(response.status).toBe(200);
  expect(((await response.json()) as { created: number }).created).toBe(1);
  const list = await cast.organizer.api.get<{ items: Booking[] }>(
    `/events/${event.id}/bookings?q=${encodeURIComponent(name)}`,
  );
  const found = list.body.items.find((booking) => booking.attendee.name === name);
  expect(found).toBeDefined();
  return found!;
}

describe('attendee photos by reference', () => {
  it('by door code, in any case: the booking gets the photo and a device pull carries its new photoId', async () => {
    const event = await createStaffedEvent(cast);
    const booking = await walkIn(event, 'Anna Code');
    const device = new SimDevice(cast.staff.api);
    await device.pullAll();
    const before = device.buckets.get(eventBucket(event.id))!.get(`booking:${booking.id}`)!;
    expect((before.doc as Booking).photoId ?? null).toBeNull();

    const put = await putPhoto(cast.organizer, event.id, ` ${booking.code.toLowerCase()} `, await jpeg());
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ bookingId: booking.id, photo: { contentType: 'image/webp', width: 400 } });

    await device.pullAll();
    const after = device.buckets.get(eventBucket(event.id))!.get(`booking:${booking.id}`)!;
    expect(after.rev).toBe(before.rev + 1);
    expect(after.doc).toMatchObject({ id: booking.id, photoId: put.json.photo.photoId });
    const got = await fetch(`${server.baseUrl}/bookings/${booking.id}/photo`, {
      headers: { authorization: `Bearer ${cast.staff.accessToken}` },
    });
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe(`"${put.json.photo.photoId}"`);
  });

  it('by external id (kept by the CSV import), for the organizer and for an admin', async () => {
    const event = await createStaffedEvent(cast);
    const booking = await imported(event, 'Berta Extern', 'EB-1001-1');
    const put = await putPhoto(cast.organizer, event.id, 'EB-1001-1', await jpeg('#c22'));
    expect(put).toMatchObject({ status: 200, json: { bookingId: booking.id } });
    const byAdmin = await putPhoto(cast.admin, event.id, 'EB-1001-1', await jpeg('#22c'));
    expect(byAdmin).toMatchObject({ status: 200, json: { bookingId: booking.id } });
    expect(byAdmin.json.photo.photoId).not.toBe(put.json.photo.photoId);
    const row = await server.ctx.store.bookings.findById(booking.id);
    expect(row?.photoId).toBe(byAdmin.json.photo.photoId);
  });

  it('a reference no booking of this event has, or another event’s code, is PHOTO_REFERENCE_UNKNOWN (404)', async () => {
    const event = await createStaffedEvent(cast);
    const other = await createStaffedEvent(cast);
    const elsewhere = await walkIn(other, 'Carl Elsewhere');
    await imported(other, 'Dora Elsewhere', 'EB-2002-1');
    for (const reference of ['NOSUCH00', elsewhere.code, 'EB-2002-1', 'anna smith']) {
      const put = await putPhoto(cast.organizer, event.id, reference, await jpeg());
      expect(put.status, reference).toBe(404);
      expect(put.json.error.code, reference).toBe('PHOTO_REFERENCE_UNKNOWN');
    }
    expect((await server.ctx.store.bookings.findById(elsewhere.id))?.photoId ?? null).toBeNull();
  });

  it('staff of the event are FORBIDDEN, and so is another organizer (a published event is public)', async () => {
    const event = await createStaffedEvent(cast);
    const booking = await walkIn(event, 'Eve Staffed');
    const byStaff = await putPhoto(cast.staff, event.id, booking.code, await jpeg());
    expect(byStaff).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN' } } });
    const byStranger = await putPhoto(cast.otherOrganizer, event.id, booking.code, await jpeg());
    expect(byStranger).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN' } } });
    expect((await server.ctx.store.bookings.findById(booking.id))?.photoId ?? null).toBeNull();
  });

  it('a bad image keeps its image code; nothing is stored', async () => {
    const event = await createStaffedEvent(cast);
    const booking = await walkIn(event, 'Fritz Broken');
    const broken = await putPhoto(cast.organizer, event.id, booking.code, Buffer.from('not a picture at all'));
    expect(broken).toMatchObject({ status: 422, json: { error: { code: 'IMAGE_INVALID' } } });
    const gif = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#fff' } })
      .gif()
      .toBuffer();
    const unsupported = await putPhoto(cast.organizer, event.id, booking.code, gif, 'image/jpeg');
    expect(unsupported).toMatchObject({ status: 415, json: { error: { code: 'IMAGE_TYPE_UNSUPPORTED' } } });
    const huge = await putPhoto(cast.organizer, event.id, booking.code, Buffer.alloc(6 * 1024 * 1024, 1));
    expect(huge).toMatchObject({ status: 413, json: { error: { code: 'IMAGE_TOO_LARGE' } } });
    expect((await server.ctx.store.bookings.findById(booking.id))?.photoId ?? null).toBeNull();
  });

  it('repeating the same image is the same photo id, and the booking does not change again', async () => {
    const event = await createStaffedEvent(cast);
    const booking = await walkIn(event, 'Gina Twice');
    const image = await jpeg('#7a3');
    const first = await putPhoto(cast.organizer, event.id, booking.code, image);
    const afterFirst = await server.ctx.store.bookings.findById(booking.id);
    const second = await putPhoto(cast.organizer, event.id, booking.code, image);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.json).toEqual(first.json);
    const afterSecond = await server.ctx.store.bookings.findById(booking.id);
    expect(afterSecond?.rev).toBe(afterFirst?.rev);
    expect(afterSecond?.photoId).toBe(first.json.photo.photoId);
  });
});

describe('a photo column in the CSV import', () => {
  it('is read back per imported row with its booking; refused rows and rows without a photo are left out', async () => {
    const event = await createStaffedEvent(cast);
    const type = event.ticketTypes[0]!.name;
    const csv = [
      'name,email,ticket_type,external_id,Photo',
      `Hana Photo,hana@example.test,${type},EB-1,hana.jpg`,
      `Ivo Nophoto,ivo@example.test,${type},EB-2,`,
      `Jo Wrongtype,jo@example.test,No such type,EB-3,jo.jpg`,
    ].join('\n');
    const mapping = {
      name: 'name',
      email: 'email',
      ticketType: 'ticket_type',
      externalId: ['external_id'],
      photo: 'Photo',
    };
    const post = () =>
      fetch(`${server.baseUrl}/events/${event.id}/imports?mapping=${encodeURIComponent(JSON.stringify(mapping))}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cast.organizer.accessToken}`, 'content-type': 'text/csv' },
        body: csv,
      });
    const response = await post();
    expect(response.status).toBe(200);
    const summary = (await response.json()) as { created: number; refused: number; mapping: unknown; photos: unknown };
    expect(summary).toMatchObject({ created: 2, refused: 1, mapping });
    const hana = await server.ctx.store.bookings.findByExternalId(event.id, 'EB-1');
    expect(summary.photos).toEqual([{ line: 2, bookingId: hana!.id, photo: 'hana.jpg' }]);
    // A re-import (rows unchanged) names the same booking again, so its photo can be sent again.
    const again = (await (await post()).json()) as { unchanged: number; photos: unknown };
    expect(again).toMatchObject({ unchanged: 2, photos: [{ line: 2, bookingId: hana!.id, photo: 'hana.jpg' }] });
    // Without a photo column the summary has no photos at all.
    const plain = await fetch(`${server.baseUrl}/events/${event.id}/imports?preset=plain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cast.organizer.accessToken}`, 'content-type': 'text/csv' },
      body: `name,email,ticket_type\nKai Plain,kai@example.test,${type}\n`,
    });
    expect('photos' in ((await plain.json()) as object)).toBe(false);
  });
});
