import { randomUUID } from 'node:crypto';
import {
  formatHlc,
  HybridClock,
  MAX_HLC_LEAD_MS,
  parseHlc,
  PROTOCOL_VERSION_HEADER,
  VOID_WINDOW_MS,
  type Event,
} from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { undoAdmission } from '../../electron/core/checkins/commands';
import { addBookings, createEvent, type Device, signedInDevice, startSyncTestServer, ticketToken } from './support';

/**
 * The door rules (protocol/src/checkins) through the real parts: the server over HTTP, a device
 * core with its SQLite store. Each case is a failure door teams met: a rescheduled event refusing
 * its own tickets, a cancelled event's tickets still admitted, counts mixing cancelled bookings,
 * one fast clock dragging everyone's, a new device refusing signed tickets.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

let server: TestServer;
let organizer: SignedIn;
let staff: SignedIn;
const devices: Device[] = [];

beforeAll(async () => {
  server = await startSyncTestServer();
  [organizer, staff] = await Promise.all([signInAs(server, 'organizer'), signInAs(server, 'staff')]);
}, 60_000);
afterAll(async () => {
  for (const device of devices) await device.core.close();
  await server.close();
});

async function device(): Promise<Device> {
  const created = await signedInDevice(server, staff);
  devices.push(created);
  await created.core.syncNow();
  return created;
}
const scanAt = (d: Device, event: Event, token: string, gate = 'North', direction: 'in' | 'out' = 'in') =>
  d.core.requireAccount().scanner.scan({ eventId: event.id, gate, scan: token, direction });

type PushAnswer = { results: Array<{ status: string; hlc?: string; superseded?: true }>; serverHlc: string };

/** A raw push as a device would send it, with the HLC it claims; `retry` sends the very same again. */
async function pushCheckIn(event: Event, bookingId: string, hlc: string, gate: string, direction: 'in' | 'out') {
  const scannedAt = new Date().toISOString();
  const args = { id: randomUUID(), eventId: event.id, bookingId, gate, direction, scannedAt };
  const body = { mutations: [{ id: randomUUID(), name: 'checkin.record', args, hlc }] };
  const deviceId = randomUUID();
  const send = async () => {
    const pushed = await staff.api.post('/sync/push', body, { headers: { 'x-device-id': deviceId } });
    expect(pushed.status).toBe(200);
    return pushed.body as PushAnswer;
  };
  return { ...(await send()), retry: send };
}

describe('door rules over the real server and a device', { timeout: 120_000 }, () => {
  it('a rescheduled event admits the tickets mailed before the change, at its new time', async () => {
    // Issued for dates three days ago; then the organizer moves the event to today.
    const event = await createEvent(organizer.api, [staff.user.id], {
      startsAt: new Date(Date.now() - 3 * DAY_MS).toISOString(),
      endsAt: new Date(Date.now() - 3 * DAY_MS + 4 * HOUR_MS).toISOString(),
    });
    const [bookingId] = await addBookings(server, event, 1);
    const token = await ticketToken(organizer.api, bookingId!);
    const moved = await organizer.api.patch(`/events/${event.id}`, {
      startsAt: new Date(Date.now() - HOUR_MS).toISOString(),
      endsAt: new Date(Date.now() + 3 * HOUR_MS).toISOString(),
    });
    expect(moved.status).toBe(200);
    const door = await device();
    expect(scanAt(door, event, token)).toMatchObject({ verdict: 'admit', reason: null });
  });

  it('a cancelled event revokes its tickets: the ticket says revoked, devices refuse, a late check-in raises an alert', async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const [first, second] = await addBookings(server, event, 2);
    const tokens = await Promise.all([first!, second!].map((id) => ticketToken(organizer.api, id)));
    const unaware = await device(); // synced before the cancellation, offline since
    expect((await organizer.api.patch(`/events/${event.id}`, { status: 'cancelled' })).status).toBe(200);

    expect((await organizer.api.get(`/bookings/${first}/ticket`)).body.revoked).toBe(true);
    const aware = await device();
    expect(scanAt(aware, event, tokens[0]!)).toMatchObject({ verdict: 'cancelled', reason: 'eventCancelled' });

    // The offline device still admits; its check-in is kept as the fact it is, with an alert.
    expect(scanAt(unaware, event, tokens[1]!).verdict).toBe('admit');
    await unaware.core.syncNow();
    expect(unaware.core.syncStatus()).toMatchObject({ pending: 0, rejected: [] });
    expect(await server.ctx.store.checkins.countForEvent(event.id)).toBe(1);
    await aware.core.syncNow();
    const alerts = aware.core.requireAccount().checkins.alerts(event.id);
    expect(alerts).toMatchObject([{ kind: 'cancelledCheckin', bookingId: second }]);
    expect(alerts[0]!.message).toContain('the event is cancelled');
  });

  it('stats count admissions among live bookings, and admitted-then-cancelled on their own line', async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const ids = await addBookings(server, event, 3);
    const door = await device();
    for (const id of ids) expect(scanAt(door, event, await ticketToken(organizer.api, id)).verdict).toBe('admit');
    await door.core.syncNow();
    for (const id of ids.slice(0, 2)) expect((await organizer.api.post(`/bookings/${id}/cancel`)).status).toBe(200);
    const stats = await organizer.api.get(`/events/${event.id}/stats`);
    expect(stats.body).toMatchObject({ booked: 1, cancelled: 2, checkedIn: 1, inside: 1, admittedThenCancelled: 2 });
    await door.core.syncNow();
    expect(door.core.requireAccount().events.counters(event.id)).toMatchObject({
      expected: 1,
      admitted: 1,
      inside: 1,
      admittedThenCancelled: 2,
    });
  });

  it('a device clock 20 minutes fast cannot drag the server: its HLC is clamped, answered, and an exit then re-entry elsewhere is no duplicate', async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const [bookingId] = await addBookings(server, event, 1);
    const fast = new HybridClock('fast-device', () => Date.now() + 20 * 60_000);

    const entered = await pushCheckIn(event, bookingId!, fast.tick(), 'North', 'in');
    expect(entered.results[0]).toMatchObject({ status: 'applied', hlc: expect.any(String) });
    const stored = parseHlc(entered.results[0]!.hlc!)!;
    // A retry (a lost answer) is answered as the first time: the HLC the row holds, not a new one.
    expect((await entered.retry()).results).toEqual(entered.results);
    expect(stored.wallMs).toBeLessThanOrEqual(Date.now() + MAX_HLC_LEAD_MS);
    expect(parseHlc(entered.serverHlc)!.wallMs).toBeLessThan(Date.now() + MAX_HLC_LEAD_MS);
    const left = await pushCheckIn(event, bookingId!, fast.tick(), 'North', 'out');
    expect(left.results[0]!.hlc! > entered.results[0]!.hlc!).toBe(true);

    // A correctly clocked device lets the holder in again at another gate.
    const door = await device();
    const token = await ticketToken(organizer.api, bookingId!);
    expect(scanAt(door, event, token, 'South').verdict).toBe('admit');
    await door.core.syncNow();
    await door.core.syncNow();
    expect(door.core.requireAccount().checkins.alerts(event.id)).toEqual([]);
    const scans = await server.ctx.store.checkins.listForBooking(bookingId!);
    expect(scans).toHaveLength(3);
    // Every stored HLC is within the lead bound of when it was received.
    for (const scan of scans) {
      expect(parseHlc(scan.hlc)!.wallMs - Date.parse(scan.receivedAt)).toBeLessThanOrEqual(MAX_HLC_LEAD_MS);
    }
  });

  it('an edit from a fast clock is stamped by the server, so a later correct edit wins; a stale edit is answered superseded', async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const fast = new HybridClock('fast-organizer', () => Date.now() + 20 * 60_000);
    const push = async (title: string, hlc: string) =>
      (
        await organizer.api.post(
          '/sync/push',
          {
            mutations: [{ id: randomUUID(), name: 'event.update', args: { eventId: event.id, patch: { title } }, hlc }],
          },
          { headers: { 'x-device-id': randomUUID() } },
        )
      ).body.results[0];
    expect(await push('From the fast clock', fast.tick())).toMatchObject({
      status: 'applied',
      hlc: expect.any(String),
    });
    expect((await organizer.api.patch(`/events/${event.id}`, { title: 'Correct clock, later' })).body.title).toBe(
      'Correct clock, later',
    );
    const stale = formatHlc({ wallMs: Date.now() - 60 * 60_000, counter: 0, node: 'offline-laptop' });
    expect(await push('An hour-old offline edit', stale)).toEqual({
      id: expect.any(String),
      status: 'applied',
      superseded: true,
    });
    expect((await organizer.api.get(`/events/${event.id}`)).body.title).toBe('Correct clock, later');
  });

  it('a new device admits a signed ticket whose booking it does not hold yet; the server reconciles when it arrives', async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const door = await device();
    // Booked after the device's download: on the server, not on the device.
    const [fresh, cancelled] = await addBookings(server, event, 2);
    expect((await organizer.api.post(`/bookings/${cancelled}/cancel`)).status).toBe(200);
    for (const id of [fresh!, cancelled!]) {
      const result = scanAt(door, event, await ticketToken(organizer.api, id));
      expect(result).toMatchObject({ verdict: 'admit', reason: 'bookingNotOnDevice', booking: null });
    }
    await door.core.syncNow();
    await door.core.syncNow();
    expect(door.core.syncStatus()).toMatchObject({ pending: 0, rejected: [] });
    expect(await server.ctx.store.checkins.countForEvent(event.id)).toBe(2);
    // The cancellation found on arrival raises the usual alert; the live booking raises none.
    // Named by guest and event for the Sync screen, not by ids.
    expect(door.core.requireAccount().checkins.alerts(event.id)).toMatchObject([
      {
        kind: 'cancelledCheckin',
        bookingId: cancelled,
        attendeeName: expect.stringMatching(/\S/),
        eventTitle: event.title,
      },
    ]);
    // Now on the device: the next scan of the live ticket is a duplicate, with the booking named.
    expect(scanAt(door, event, await ticketToken(organizer.api, fresh!))).toMatchObject({
      verdict: 'duplicate',
      booking: { id: fresh },
    });
  });

  it('undo: the admitting device voids its admission; it syncs and counts like any fact, and the ticket admits again', async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const [bookingId] = await addBookings(server, event, 1);
    const token = await ticketToken(organizer.api, bookingId!);
    const door = await device();
    const other = await device();
    const admitted = scanAt(door, event, token);
    expect(admitted.verdict).toBe('admit');
    await door.core.syncNow();
    await other.core.syncNow();

    // Another steward's device may not undo it; the admitting one may.
    expect(() =>
      undoAdmission(other.core.requireAccount(), { eventId: event.id, checkinId: admitted.checkinId!, gate: 'North' }),
    ).toThrow(/Only the device that admitted/);
    const undo = undoAdmission(door.core.requireAccount(), {
      eventId: event.id,
      checkinId: admitted.checkinId!,
      gate: 'North',
    });
    expect(undo).toMatchObject({ direction: 'void', voids: admitted.checkinId });
    expect(door.core.requireAccount().events.counters(event.id)).toMatchObject({ admitted: 0, inside: 0 });
    expect(() =>
      undoAdmission(door.core.requireAccount(), { eventId: event.id, checkinId: admitted.checkinId!, gate: 'North' }),
    ).toThrow(/already undone/);
    await door.core.syncNow();
    expect(door.core.syncStatus()).toMatchObject({ pending: 0, rejected: [] });
    expect((await organizer.api.get(`/events/${event.id}/stats`)).body).toMatchObject({ checkedIn: 0, inside: 0 });

    // Both facts are kept; the other device learns of the undo and admits the ticket as new, no duplicate.
    expect(await server.ctx.store.checkins.countForEvent(event.id)).toBe(2);
    await other.core.syncNow();
    expect(scanAt(other, event, token, 'South').verdict).toBe('admit');
    await other.core.syncNow();
    expect(other.core.requireAccount().checkins.alerts(event.id)).toEqual([]);
    expect((await organizer.api.get(`/events/${event.id}/stats`)).body).toMatchObject({ checkedIn: 1, inside: 1 });
  });

  it("the server holds the same undo rule: another device's or a late undo is refused, an organizer's is applied", async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const [bookingId] = await addBookings(server, event, 1);
    const admissionId = randomUUID();
    const deviceId = randomUUID();
    const clock = new HybridClock('door-device');
    const push = (api: typeof staff.api, fromDevice: string, name: string, args: object, hlc = clock.tick()) =>
      api
        .post(
          '/sync/push',
          { mutations: [{ id: randomUUID(), name, args, hlc }] },
          { headers: { 'x-device-id': fromDevice } },
        )
        .then((answer) => answer.body.results[0]);
    const scannedAt = new Date().toISOString();
    expect(
      await push(
        staff.api,
        deviceId,
        'checkin.record',
        { id: admissionId, eventId: event.id, bookingId, gate: 'North', direction: 'in', scannedAt },
        formatHlc({ wallMs: Date.now() - VOID_WINDOW_MS - 60_000, counter: 0, node: 'door-device' }),
      ),
    ).toMatchObject({ status: 'applied' });
    const undoArgs = () => ({
      id: randomUUID(),
      eventId: event.id,
      checkinId: admissionId,
      bookingId,
      gate: 'North',
      voidedAt: new Date().toISOString(),
    });
    expect(await push(staff.api, randomUUID(), 'checkin.void', undoArgs())).toMatchObject({
      status: 'rejected',
      code: 'FORBIDDEN',
    });
    // The admission was made offline six minutes ago (its HLC says so): too late for its device now.
    expect(await push(staff.api, deviceId, 'checkin.void', undoArgs())).toMatchObject({
      status: 'rejected',
      code: 'FORBIDDEN',
      message: expect.stringMatching(/ask an organizer/),
    });
    expect(await push(staff.api, deviceId, 'checkin.void', { ...undoArgs(), bookingId: 'someone-else' })).toMatchObject(
      { status: 'rejected', code: 'NOT_FOUND' },
    );
    expect(await push(organizer.api, randomUUID(), 'checkin.void', undoArgs())).toMatchObject({ status: 'applied' });
    expect(await push(organizer.api, randomUUID(), 'checkin.void', undoArgs())).toMatchObject({
      status: 'rejected',
      code: 'CONFLICT',
    });

    // A version-1 device is never sent the void row it could not read; a version-2 device is.
    const pullTypes = async (version: string) => {
      const page = await organizer.api.get('/sync/pull?limit=1000', {
        headers: { 'x-device-id': randomUUID(), [PROTOCOL_VERSION_HEADER]: version },
      });
      expect(page.status).toBe(200);
      return (page.body.changes as Array<{ type: string; doc: { direction?: string; eventId?: string } | null }>)
        .filter((change) => change.type === 'checkin' && change.doc?.eventId === event.id)
        .map((change) => change.doc?.direction);
    };
    expect(await pullTypes('1')).toEqual(['in']);
    expect(await pullTypes('2')).toEqual(['in', 'void']);
  });

  it("refused scans are kept: synced with reason, gate and device, listed on the organizer's device, never sent to version 1", async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const [bookingId] = await addBookings(server, event, 1);
    const token = await ticketToken(organizer.api, bookingId!);
    const door = await device();
    expect(scanAt(door, event, token, 'North').verdict).toBe('admit');
    expect(scanAt(door, event, token, 'South').verdict).toBe('duplicate');
    expect(scanAt(door, event, 'not a ticket at all', 'South').verdict).toBe('invalid');
    await door.core.syncNow();
    expect(door.core.syncStatus()).toMatchObject({ pending: 0, rejected: [] });

    const stored = await server.ctx.store.refusals.listForEvent(event.id, 10);
    expect(stored.map((refusal) => [refusal.reason, refusal.gate, refusal.bookingId])).toEqual([
      ['format', 'South', null],
      ['alreadyInside', 'South', bookingId],
    ]);
    expect(stored.every((refusal) => refusal.staffId === staff.user.id)).toBe(true);
    // Refusals change no figure.
    expect((await organizer.api.get(`/events/${event.id}/stats`)).body).toMatchObject({ checkedIn: 1, inside: 1 });

    const organizerDevice = await signedInDevice(server, organizer);
    devices.push(organizerDevice);
    await organizerDevice.core.syncNow();
    const listed = organizerDevice.core.requireAccount().checkins.refusals({ eventId: event.id, limit: 10 });
    expect(listed.map((refusal) => [refusal.reason, refusal.attendeeName])).toEqual([
      ['format', ''],
      ['alreadyInside', expect.stringMatching(/Guest/)],
    ]);

    const typesFor = async (version: string) => {
      const page = await organizer.api.get('/sync/pull?limit=2000', {
        headers: { 'x-device-id': randomUUID(), [PROTOCOL_VERSION_HEADER]: version },
      });
      const ofEvent = (page.body.changes as Array<{ bucket: string; type: string }>).filter(
        (change) => change.bucket === `event:${event.id}`,
      );
      return new Set(ofEvent.map((change) => change.type));
    };
    expect((await typesFor('1')).has('refusal')).toBe(false);
    expect((await typesFor('2')).has('refusal')).toBe(true);
  });
});
