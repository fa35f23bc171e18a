import { randomUUID } from 'node:crypto';
import {
  base64UrlDecode,
  base64UrlEncode,
  decideScan,
  decodeTicket,
  NOT_ENTERED,
  eventBucket,
  signTicket,
  ticketResponseSchema,
  verifyTicket,
  type Booking,
  type Event,
  type TicketKeyDoc,
} from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { createStaffedEvent, signInCast, type Cast } from './events-fixtures';
import { changesOf } from './store-inspect';

let server: TestServer;
let cast: Cast;
let event: Event;
let otherEvent: Event;
let booking: Booking;

beforeAll(async () => {
  server = await startTestServer();
  cast = await signInCast(server);
  event = await createStaffedEvent(cast);
  otherEvent = await createStaffedEvent(cast);
  booking = (
    await cast.attendee.api.post(`/events/${event.id}/book`, { ticketTypeId: event.ticketTypes[1]!.id, quantity: 2 })
  ).body;
});
afterAll(async () => {
  await server.close();
});

async function keysOf(eventId: string): Promise<TicketKeyDoc[]> {
  const result = await cast.organizer.api.get(`/events/${eventId}/ticket-keys`);
  expect(result.status).toBe(200);
  return result.body.items;
}
const finder = (keys: TicketKeyDoc[]) => (kid: string) => keys.find((key) => key.kid === kid);
const scan = (token: string, keys: TicketKeyDoc[], status: 'confirmed' | 'cancelled' = 'confirmed') =>
  decideScan({
    verification: verifyTicket(token, finder(keys)),
    expectedEventId: event.id,
    event: { ...event, allowReentry: event.allowReentry !== false },
    booking: { status },
    entry: NOT_ENTERED,
    direction: 'in',
    nowMs: Date.parse(event.startsAt) + 60_000,
  });

describe('GET /bookings/:id/ticket', () => {
  it('returns a signed token that verifies with the event public key, with QR images', async () => {
    const result = await cast.attendee.api.get(`/bookings/${booking.id}/ticket`);
    expect(result.status).toBe(200);
    expect(ticketResponseSchema.strict().safeParse(result.body).success).toBe(true);
    const { token, revoked, qrSvg, qrPngDataUrl } = result.body;
    expect(revoked).toBe(false);
    expect(qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(qrPngDataUrl).toMatch(/^data:image\/png;base64,/);
    const png = Buffer.from(qrPngDataUrl.split(',')[1], 'base64');
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');

    const keys = await keysOf(event.id);
    expect(keys).toHaveLength(1);
    const verification = verifyTicket(token, finder(keys));
    expect(verification).toEqual({
      ok: true,
      claims: {
        kid: keys[0]!.kid,
        eventId: event.id,
        bookingId: booking.id,
        ticketTypeId: event.ticketTypes[1]!.id,
        validFrom: Math.floor(Date.parse(event.startsAt) / 1000),
        validUntil: Math.ceil(Date.parse(event.endsAt) / 1000),
      },
    });
    expect(scan(token, keys)).toEqual({ verdict: 'admit', bookingId: booking.id, bookingOnDevice: true });
    expect(token.length).toBeLessThan(300);
  });

  it('is readable by the booker, the organizer, assigned staff and admins only', async () => {
    for (const who of [cast.attendee, cast.organizer, cast.staff, cast.admin]) {
      expect((await who.api.get(`/bookings/${booking.id}/ticket`)).status, who.user.name).toBe(200);
    }
    for (const who of [cast.otherAttendee, cast.otherOrganizer, cast.otherStaff]) {
      const refused = await who.api.get(`/bookings/${booking.id}/ticket`);
      expect(refused.status, who.user.name).toBe(404);
      expect(refused.body.error.code).toBe('NOT_FOUND');
    }
    expect((await cast.anonymous.get(`/bookings/${booking.id}/ticket`)).status).toBe(401);
    expect((await cast.admin.api.get(`/bookings/${randomUUID()}/ticket`)).status).toBe(404);
    for (const bad of ['a.b', 'x'.repeat(65), '%7B%7D']) {
      expect((await cast.admin.api.get(`/bookings/${bad}/ticket`)).status, bad).toBe(400);
    }
  });

  it('ticket keys are readable by the organizer, assigned staff and admins, not by others', async () => {
    for (const who of [cast.organizer, cast.staff, cast.admin]) {
      expect((await who.api.get(`/events/${event.id}/ticket-keys`)).status, who.user.name).toBe(200);
    }
    for (const who of [cast.otherOrganizer, cast.otherStaff, cast.attendee]) {
      expect((await who.api.get(`/events/${event.id}/ticket-keys`)).status, who.user.name).toBe(403);
    }
    for (const who of [cast.staff, cast.attendee]) {
      expect((await who.api.post(`/events/${event.id}/ticket-keys/rotate`)).status, who.user.name).toBe(403);
    }
  });
});

describe('refusals, each with its own reason', () => {
  it('a token altered by one byte fails its signature or format', async () => {
    const { token } = (await cast.attendee.api.get(`/bookings/${booking.id}/ticket`)).body;
    const keys = await keysOf(event.id);
    const [prefix, payload, signature] = token.split('.');
    const signatureBytes = base64UrlDecode(signature)!;
    signatureBytes[10] = signatureBytes[10]! ^ 0x01;
    const badSignature = `${prefix}.${payload}.${base64UrlEncode(signatureBytes)}`;
    expect(verifyTicket(badSignature, finder(keys))).toMatchObject({ ok: false, reason: 'signature' });
    expect(scan(badSignature, keys)).toEqual({ verdict: 'invalid', reason: 'signature' });

    // One byte of the payload: the claims change (a different booking id), the signature no longer fits.
    const payloadBytes = base64UrlDecode(payload)!;
    const text = new TextDecoder().decode(payloadBytes);
    const index = text.indexOf(booking.id) + 3;
    payloadBytes[index] = payloadBytes[index] === 0x61 ? 0x62 : 0x61;
    const badPayload = `${prefix}.${base64UrlEncode(payloadBytes)}.${signature}`;
    expect(decodeTicket(badPayload)).not.toBeNull();
    expect(verifyTicket(badPayload, finder(keys))).toMatchObject({ ok: false, reason: 'signature' });
    expect(scan(`X${token.slice(1)}`, keys)).toEqual({ verdict: 'invalid', reason: 'format' });
  });

  it("a token signed with another event's key is refused", async () => {
    const keys = await keysOf(event.id);
    const otherKeyRow = (await server.ctx.store.ticketKeys.listForEvent(otherEvent.id))[0]!;
    const claims = decodeTicket((await cast.attendee.api.get(`/bookings/${booking.id}/ticket`)).body.token)!.claims;
    // Forged with the other event's key but claiming this event's key id: the signature fails.
    const forgedKid = signTicket(claims, otherKeyRow.privateKey);
    expect(scan(forgedKid, keys)).toEqual({ verdict: 'invalid', reason: 'signature' });
    // Honestly labelled with the other key's id: this event does not know that key.
    const honest = signTicket({ ...claims, kid: otherKeyRow.kid }, otherKeyRow.privateKey);
    expect(verifyTicket(honest, finder(keys))).toMatchObject({ ok: false, reason: 'unknownKey' });
    expect(scan(honest, keys)).toEqual({ verdict: 'invalid', reason: 'unknownKey' });
    // A genuine ticket of the other event scanned at this one: wrong event.
    const otherBooking = (
      await cast.attendee.api.post(`/events/${otherEvent.id}/book`, {
        ticketTypeId: otherEvent.ticketTypes[0]!.id,
        quantity: 1,
      })
    ).body as Booking;
    const otherToken = (await cast.attendee.api.get(`/bookings/${otherBooking.id}/ticket`)).body.token;
    expect(scan(otherToken, keys)).toEqual({
      verdict: 'wrongEvent',
      bookingId: otherBooking.id,
      ticketEventId: otherEvent.id,
    });
  });

  it('a cancelled booking is listed as revoked and scans as cancelled', async () => {
    const doomed = (
      await cast.attendee.api.post(`/events/${event.id}/book`, { ticketTypeId: event.ticketTypes[0]!.id, quantity: 1 })
    ).body as Booking;
    const before = (await cast.attendee.api.get(`/bookings/${doomed.id}/ticket`)).body;
    expect(before.revoked).toBe(false);
    await cast.attendee.api.post(`/bookings/${doomed.id}/cancel`);
    const after = await cast.attendee.api.get(`/bookings/${doomed.id}/ticket`);
    expect(after.status).toBe(200);
    expect(after.body.revoked).toBe(true);
    const keys = await keysOf(event.id);
    // The signature is still genuine; the booking state is what refuses it.
    expect(verifyTicket(after.body.token, finder(keys)).ok).toBe(true);
    expect(scan(after.body.token, keys, 'cancelled')).toEqual({
      verdict: 'cancelled',
      bookingId: doomed.id,
      of: 'booking',
    });
    const listed = await cast.organizer.api.get(`/events/${event.id}/bookings?status=cancelled`);
    expect(listed.body.items.map((b: Booking) => b.id)).toContain(doomed.id);
  });
});

describe('keys', () => {
  it('rotation adds a key; tickets signed by the old key still verify', async () => {
    const rotating = await createStaffedEvent(cast);
    const early = (
      await cast.attendee.api.post(`/events/${rotating.id}/book`, {
        ticketTypeId: rotating.ticketTypes[0]!.id,
        quantity: 1,
      })
    ).body as Booking;
    const oldToken = (await cast.attendee.api.get(`/bookings/${early.id}/ticket`)).body.token;
    const rotated = await cast.organizer.api.post(`/events/${rotating.id}/ticket-keys/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.items).toHaveLength(2);
    const newToken = (await cast.attendee.api.get(`/bookings/${early.id}/ticket`)).body.token;
    const keys: TicketKeyDoc[] = rotated.body.items;
    expect(decodeTicket(newToken)!.claims.kid).toBe(keys[1]!.kid);
    expect(decodeTicket(oldToken)!.claims.kid).toBe(keys[0]!.kid);
    for (const token of [oldToken, newToken]) expect(verifyTicket(token, finder(keys)).ok).toBe(true);
    const keyChanges = (await changesOf(server, eventBucket(rotating.id))).filter((c) => c.type === 'ticketKey');
    expect(keyChanges.map((change) => (change.doc as TicketKeyDoc).kid).sort()).toEqual(keys.map((k) => k.kid).sort());
  });

  it('private keys never appear in any change or response', async () => {
    const eventIds = [event.id, otherEvent.id];
    const privateKeys = (await Promise.all(eventIds.map((id) => server.ctx.store.ticketKeys.listForEvent(id)))).flatMap(
      (rows) => rows.map((row) => row.privateKey),
    );
    expect(privateKeys.length).toBeGreaterThanOrEqual(2);
    const changes = JSON.stringify(await Promise.all(eventIds.map((id) => changesOf(server, eventBucket(id)))));
    const responses = JSON.stringify([
      await keysOf(event.id),
      (await cast.organizer.api.get(`/events/${event.id}`)).body,
      (await cast.attendee.api.get(`/bookings/${booking.id}/ticket`)).body,
    ]);
    for (const privateKey of privateKeys) {
      expect(changes).not.toContain(privateKey);
      expect(responses).not.toContain(privateKey);
    }
    expect(changes).not.toContain('privateKey');
  });
});
