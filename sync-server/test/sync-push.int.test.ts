import { randomUUID } from 'node:crypto';
import { eventBucket, GatehouseError, MAX_PUSH_BATCH, type Event } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs, type SignedIn } from '../../tests/support/users';
import { addBooking, createEvent, serverSnapshot, SimDevice } from './sync-fixtures';
import { bookingsOf, changesOf } from './store-inspect';

let server: TestServer;
let admin: SignedIn;
let organizer: SignedIn;
let staff: SignedIn;
let event: Event;

beforeAll(async () => {
  server = await startTestServer({ rateLimit: { perMinute: 100_000, loginPerMinute: 1000 }, logLevel: 'error' });
  [admin, organizer, staff] = await Promise.all([
    signInAs(server, 'admin'),
    signInAs(server, 'organizer', 'Olu Organizer'),
    signInAs(server, 'staff', 'Sam Staff'),
  ]);
  // Staff devices push walk-ins here too (the event allows them; staff-walk-ins.int.test.ts for when not).
  event = await createEvent(organizer.api, [staff.user.id], { staffWalkIns: true });
});
afterAll(async () => {
  await server.close();
});

const countCheckins = async (id: string): Promise<number> => ((await server.ctx.store.checkins.findById(id)) ? 1 : 0);
const checkinsOf = (bookingId: string) => server.ctx.store.checkins.listForBooking(bookingId);
const alertsOf = async (eventId: string, bookingId: string) =>
  (await server.ctx.store.alerts.listForEvent(eventId, 1000)).filter((alert) => alert.bookingId === bookingId);

describe('P1 exactly-once push', () => {
  it('P1: the same push sent 5 times (in sequence and at once) applies each mutation once', async () => {
    const device = new SimDevice(staff.api);
    const bookings = await Promise.all([1, 2, 3].map((n) => addBooking(organizer.api, event, `Guest ${n}`)));
    const batch = bookings.map((bookingId) => device.checkin(event.id, bookingId));

    const first = await device.push(batch);
    expect(first.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    for (let i = 0; i < 4; i++) expect((await device.push(batch)).results).toEqual(first.results);
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => device.push(batch)));
    for (const response of concurrent) expect(response.results).toEqual(first.results);

    for (const mutation of batch) expect(await countCheckins((mutation.args as { id: string }).id)).toBe(1);
    // Three check-ins, three changes: repeats logged nothing.
    const ids = new Set(batch.map((m) => (m.args as { id: string }).id));
    const logged = (await changesOf(server, eventBucket(event.id))).filter(
      (change) => change.type === 'checkin' && ids.has(change.id),
    );
    expect(logged).toHaveLength(3);
  });

  it('P1: five concurrent first pushes of one batch (no earlier answer) apply each mutation once', async () => {
    const device = new SimDevice(staff.api);
    const bookingId = await addBooking(organizer.api, event);
    const walkInId = randomUUID();
    const batch = [
      device.mutation('booking.walkIn', {
        bookingId: walkInId,
        eventId: event.id,
        ticketTypeId: event.ticketTypes[0]!.id,
        attendee: { name: 'Door Guest' },
      }),
      device.checkin(event.id, walkInId),
      device.checkin(event.id, bookingId),
    ];
    const responses = await Promise.all(Array.from({ length: 5 }, () => device.push(batch)));
    for (const response of responses) {
      expect(response.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    }
    expect((await bookingsOf(server, event.id)).filter((b) => b.id === walkInId)).toHaveLength(1);
    for (const mutation of batch.slice(1)) expect(await countCheckins((mutation.args as { id: string }).id)).toBe(1);
    // The walk-in took one seat, not five.
    const bookedNow = (await bookingsOf(server, event.id)).filter((b) => b.status === 'confirmed').length;
    expect((await organizer.api.get(`/events/${event.id}`)).body.bookedCount).toBe(bookedNow);
  });

  it('P1: a push whose response was dropped is retried with more mutations; the first part applies once', async () => {
    const device = new SimDevice(staff.api);
    const bookingId = await addBooking(organizer.api, event);
    const lost = [device.checkin(event.id, bookingId, 'in'), device.checkin(event.id, bookingId, 'out')];
    // The response is dropped: the client aborts the request after sending it.
    const controller = new AbortController();
    const sent = fetch(`${server.baseUrl}/sync/push`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${staff.accessToken}`,
        'x-device-id': device.deviceId,
      },
      body: JSON.stringify({ mutations: lost }),
      signal: controller.signal,
    });
    controller.abort();
    await sent.catch(() => undefined);
    const retry = await device.push([...lost, device.checkin(event.id, bookingId, 'in')]);
    expect(retry.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    const rows = await checkinsOf(bookingId);
    expect(rows).toHaveLength(3);
  });
});

describe('order within a push', () => {
  it('a walk-in and its cancel, queued offline in that order, are both applied in that order', async () => {
    const device = new SimDevice(organizer.api);
    const bookingId = randomUUID();
    const walkIn = device.mutation('booking.walkIn', {
      bookingId,
      eventId: event.id,
      ticketTypeId: event.ticketTypes[0]!.id,
      attendee: { name: 'Changed Their Mind' },
    });
    const cancel = device.mutation('booking.cancel', { bookingId });
    const scan = device.checkin(event.id, bookingId);
    const response = await device.push([walkIn, cancel, scan]);
    expect(response.results.map((result) => result.status)).toEqual(['applied', 'applied', 'applied']);
    expect((await server.ctx.store.bookings.findById(bookingId))?.status).toBe('cancelled');
    // The scan came after the cancel: kept, and alerted as a cancelled booking let in.
    expect((await alertsOf(event.id, bookingId)).map((alert) => alert.kind)).toEqual(['cancelledCheckin']);
    // A check-in of a booking that only a later mutation adds is refused, as the device ordered them.
    const late = randomUUID();
    const early = device.checkin(event.id, late);
    const added = device.mutation('booking.walkIn', {
      bookingId: late,
      eventId: event.id,
      ticketTypeId: event.ticketTypes[0]!.id,
      attendee: { name: 'Too Late' },
    });
    const second = await device.push([early, added]);
    expect(second.results.map((result) => [result.status, result.code])).toEqual([
      ['rejected', 'NOT_FOUND'],
      ['applied', undefined],
    ]);
  });
});

describe('many devices at once', () => {
  // FerretDB v1.24.2 stopped answering anyone when one command carried 100 update statements (the
  // results of 50 pushes grouped into one bulk write): this hung before bulkEach split them.
  // Distinct tickets, so the applies run side by side and their results pile up together.
  it('50 devices pushing 10 check-ins each at the same moment all get every result', async () => {
    const bookings = await Promise.all(
      Array.from({ length: 100 }, (_, n) => addBooking(organizer.api, event, `Crowd ${n}`)),
    );
    const devices = Array.from({ length: 50 }, () => new SimDevice(staff.api));
    const batches = devices.map((device, d) =>
      Array.from({ length: 10 }, (_, i) =>
        device.checkin(event.id, bookings[(d * 10 + i) % bookings.length]!, i % 2 ? 'out' : 'in', `Gate ${d}`),
      ),
    );
    const responses = await Promise.all(devices.map((device, d) => device.push(batches[d]!)));
    expect(responses.flatMap((response) => response.results.map((result) => result.status))).toEqual(
      Array.from({ length: 500 }, () => 'applied'),
    );
    const ids = batches.flat().map((mutation) => (mutation.args as { id: string }).id);
    expect((await Promise.all(ids.map(countCheckins))).reduce((sum, n) => sum + n, 0)).toBe(500);
  });
});

describe('bad input on push', () => {
  it('unknown names, malformed args and a reused id are rejected one by one; the rest applies', async () => {
    const device = new SimDevice(staff.api);
    const bookingId = await addBooking(organizer.api, event);
    const good = device.checkin(event.id, bookingId);
    const reused = { ...device.checkin(event.id, bookingId), id: good.id };
    const batch = [
      device.mutation('ticket.teleport', { to: 'mars' }),
      device.mutation('checkin.record', {
        id: randomUUID(),
        eventId: event.id,
        bookingId,
        gate: '',
        direction: 'sideways',
      }),
      device.mutation('checkin.record', {
        id: randomUUID(),
        eventId: { $ne: 1 },
        bookingId,
        gate: 'A',
        direction: 'in',
        scannedAt: 'x',
      }),
      good,
      { id: randomUUID(), name: 'checkin.record', args: {}, hlc: 'not-a-clock' },
    ];
    const response = await device.push(batch);
    expect(response.results.map((r) => [r.status, r.code])).toEqual([
      ['rejected', 'UNKNOWN_MUTATION'],
      ['rejected', 'VALIDATION_FAILED'],
      ['rejected', 'VALIDATION_FAILED'],
      ['applied', undefined],
      ['rejected', 'VALIDATION_FAILED'],
    ]);
    expect(response.results[1]!.message).toMatch(/gate|direction/);
    // The same id with different args: rejected, and the first mutation's effect stays alone.
    const again = await device.push([reused]);
    expect(again.results[0]).toMatchObject({ status: 'rejected', code: 'MUTATION_ID_REUSED' });
    expect(await countCheckins((reused.args as { id: string }).id)).toBe(0);
    expect((await device.push([good])).results[0]!.status).toBe('applied');
    // A mutation id is per user: another user's reuse is refused too, and tells them nothing.
    const other = new SimDevice(organizer.api);
    expect((await other.push([good])).results[0]).toMatchObject({ status: 'rejected', code: 'MUTATION_ID_REUSED' });
  });

  it('check-ins for a booking of another event or a missing booking are rejected', async () => {
    const device = new SimDevice(staff.api);
    const otherEvent = await createEvent(organizer.api, [staff.user.id]);
    const foreign = await addBooking(organizer.api, otherEvent);
    const response = await device.push([device.checkin(event.id, foreign), device.checkin(event.id, randomUUID())]);
    expect(response.results.map((r) => [r.status, r.code])).toEqual([
      ['rejected', 'NOT_FOUND'],
      ['rejected', 'NOT_FOUND'],
    ]);
  });

  it(`a 50,000-mutation batch is a clean 413, and so is ${MAX_PUSH_BATCH + 1}; nothing is applied`, async () => {
    const device = new SimDevice(staff.api);
    const bookingId = await addBooking(organizer.api, event);
    const one = device.checkin(event.id, bookingId);
    const huge = await device.pushRaw(Array.from({ length: 50_000 }, () => one));
    expect(huge.status).toBe(413);
    expect(['PAYLOAD_TOO_LARGE', 'BATCH_TOO_LARGE']).toContain(huge.body.error.code);
    const tiny = await device.api.request('POST', '/sync/push', {
      raw: JSON.stringify({ mutations: Array.from({ length: 50_000 }, () => ({})) }),
      headers: { 'x-device-id': device.deviceId },
    });
    expect(tiny.status).toBe(413);
    expect(tiny.body.error.code).toBe('BATCH_TOO_LARGE');
    const justOver = await device.pushRaw(
      Array.from({ length: MAX_PUSH_BATCH + 1 }, () => device.checkin(event.id, bookingId)),
    );
    expect(justOver.status).toBe(413);
    expect(justOver.body.error.code).toBe('BATCH_TOO_LARGE');
    expect(await countCheckins((one.args as { id: string }).id)).toBe(0);
  });

  it('malformed bodies and headers are 4xx with the error shape, never 500', async () => {
    const device = new SimDevice(staff.api);
    const headers = { 'x-device-id': device.deviceId };
    const cases: [unknown, number, string][] = [
      [{}, 400, 'VALIDATION_FAILED'],
      [{ mutations: [] }, 400, 'VALIDATION_FAILED'],
      [{ mutations: 'all' }, 400, 'VALIDATION_FAILED'],
      [{ mutations: [{ name: 'checkin.record' }] }, 400, 'VALIDATION_FAILED'],
      [{ mutations: [null] }, 400, 'VALIDATION_FAILED'],
      [[1, 2], 400, 'VALIDATION_FAILED'],
      [{ mutations: [device.checkin(event.id, 'b')], $where: 1 }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const result = await staff.api.post('/sync/push', body, { headers });
      expect([result.status, result.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
    }
    const noDevice = await staff.api.post('/sync/push', { mutations: [device.checkin(event.id, 'b')] });
    expect(noDevice.status).toBe(400);
    const broken = await staff.api.request('POST', '/sync/push', { raw: '{"mutations": [', headers });
    expect(broken.body.error.code).toBe('MALFORMED_JSON');
    const anonymous = await staff.api.post(
      '/sync/push',
      { mutations: [device.checkin(event.id, 'b')] },
      { headers, token: null },
    );
    expect(anonymous.status).toBe(401);
  });
});

describe('P6 authorization at apply time', () => {
  it('P6: a staff user demoted while offline has the queued mutations rejected with reasons', async () => {
    const member = await signInAs(server, 'staff', 'Soon Demoted');
    const staffed = await createEvent(organizer.api, [member.user.id]);
    const bookingId = await addBooking(organizer.api, staffed);
    const device = new SimDevice(member.api);
    const queued = [device.checkin(staffed.id, bookingId), device.checkin(staffed.id, bookingId, 'out')];
    expect((await admin.api.patch(`/users/${member.user.id}`, { role: 'attendee' })).status).toBe(200);
    const response = await device.push(queued);
    for (const result of response.results) {
      expect(result.status).toBe('rejected');
      expect(result.code).toBe('FORBIDDEN');
      expect(result.message).toBeTruthy();
    }
    expect(await checkinsOf(bookingId)).toHaveLength(0);
  });

  it('P6: unassigned staff and an organizer demoted to staff lose exactly the rights they lost', async () => {
    const member = await signInAs(server, 'staff', 'Unassigned Later');
    const boss = await signInAs(server, 'organizer', 'Demoted Organizer');
    const own = await createEvent(boss.api, [member.user.id]);
    const bookingId = await addBooking(boss.api, own);
    const staffDevice = new SimDevice(member.api);
    const bossDevice = new SimDevice(boss.api);
    const staffQueue = [staffDevice.checkin(own.id, bookingId)];
    const bossQueue = [
      bossDevice.mutation('event.update', { eventId: own.id, patch: { title: 'Renamed offline' } }),
      bossDevice.checkin(own.id, bookingId, 'out'),
    ];
    expect((await boss.api.put(`/events/${own.id}/staff`, { staffIds: [] })).status).toBe(200);
    expect((await admin.api.patch(`/users/${boss.user.id}`, { role: 'staff' })).status).toBe(200);
    const staffResult = await staffDevice.push(staffQueue);
    expect(staffResult.results[0]).toMatchObject({ status: 'rejected' });
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(staffResult.results[0]!.code);
    const bossResult = await bossDevice.push(bossQueue);
    expect(bossResult.results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const stored = await server.ctx.store.events.findById(own.id);
    expect(stored?.title).toBe(own.title);
  });

  it('P6: one push across an allowed and a refused event answers each scan by its own event, in push order', async () => {
    // The first scan of an event asks for permission; the push's later scans of that event are
    // planned from the answer at once (BatchAccess.grantedCheckIn) — never from another event's.
    const member = await signInAs(server, 'staff', 'Two Events');
    const allowed = await createEvent(organizer.api, [member.user.id]);
    const refused = await createEvent(organizer.api, []);
    const [a1, a2, a3] = await Promise.all([1, 2, 3].map((n) => addBooking(organizer.api, allowed, `Allowed ${n}`)));
    const r1 = await addBooking(organizer.api, refused, 'Refused 1');
    const device = new SimDevice(member.api);
    const refusal = (eventId: string, bookingId: string) =>
      device.mutation('scan.refuse', {
        id: randomUUID(),
        eventId,
        gate: 'North',
        direction: 'in',
        reason: 'alreadyInside',
        bookingId,
        ticketEventId: null,
        scannedAt: new Date().toISOString(),
      });
    const response = await device.push([
      device.checkin(allowed.id, a1!),
      device.checkin(refused.id, r1),
      device.checkin(allowed.id, a2!),
      refusal(allowed.id, a3!),
      refusal(refused.id, r1),
      device.checkin(refused.id, r1, 'out'),
      device.checkin(allowed.id, a3!),
    ]);
    expect(response.results.map((result) => result.code ?? result.status)).toEqual([
      'applied',
      'FORBIDDEN',
      'applied',
      'applied',
      'FORBIDDEN',
      'FORBIDDEN',
      'applied',
    ]);
    expect(await checkinsOf(r1)).toHaveLength(0);
    for (const bookingId of [a1!, a2!, a3!]) expect(await checkinsOf(bookingId)).toHaveLength(1);
  });

  it("a planner's 503 (the database busy while a scan's permission is read) fails the whole push with 503; the retry applies it", async () => {
    const [first, second] = await Promise.all([1, 2].map((n) => addBooking(organizer.api, event, `Busy ${n}`)));
    const device = new SimDevice(staff.api);
    const batch = [device.checkin(event.id, first!), device.checkin(event.id, second!)];
    const spy = vi
      .spyOn(server.ctx.events, 'assertCanCheckIn')
      .mockRejectedValueOnce(
        new GatehouseError('SERVICE_UNAVAILABLE', 'The database is busy or unreachable; retry shortly'),
      );
    try {
      const refused = await device.pushRaw(batch);
      // Not a rejection recorded against the scan: the device keeps it and retries.
      expect([refused.status, refused.body.error?.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
      expect(refused.headers.get('retry-after')).toBe('1');
    } finally {
      spy.mockRestore();
    }
    for (const bookingId of [first!, second!]) expect(await checkinsOf(bookingId)).toHaveLength(0);
    expect((await device.push(batch)).results.map((result) => result.status)).toEqual(['applied', 'applied']);
  });

  it('P6: a disabled staff user has the queued mutations rejected as ACCOUNT_DISABLED', async () => {
    const member = await signInAs(server, 'staff', 'Soon Disabled');
    const staffed = await createEvent(organizer.api, [member.user.id]);
    const bookingId = await addBooking(organizer.api, staffed);
    const device = new SimDevice(member.api);
    const queued = [device.checkin(staffed.id, bookingId)];
    expect((await admin.api.patch(`/users/${member.user.id}`, { disabled: true })).status).toBe(200);
    const response = await device.push(queued);
    expect(response.results[0]).toMatchObject({ status: 'rejected', code: 'ACCOUNT_DISABLED' });
    expect(await checkinsOf(bookingId)).toHaveLength(0);
    // And pulls stop.
    expect((await device.api.get('/sync/pull', { headers: { 'x-device-id': device.deviceId } })).status).toBe(401);
  });
});

describe('P7 duplicate entry across offline devices', () => {
  it('P7: two devices admit the same ticket offline; one admission, one duplicate-entry alert everywhere', async () => {
    const bookingId = await addBooking(organizer.api, event, 'Twice Scanned');
    const north = new SimDevice(staff.api);
    const south = new SimDevice(organizer.api);
    const atNorth = north.checkin(event.id, bookingId, 'in', 'North');
    const atSouth = south.checkin(event.id, bookingId, 'in', 'South');
    // Both offline; they push at the same moment.
    const [a, b] = await Promise.all([north.push([atNorth]), south.push([atSouth])]);
    expect([a.results[0]!.status, b.results[0]!.status]).toEqual(['applied', 'applied']);
    // Pushing again changes nothing.
    await Promise.all([north.push([atNorth]), south.push([atSouth])]);

    const alerts = await alertsOf(event.id, bookingId);
    expect(alerts).toHaveLength(1);
    const [first, second] = [atNorth, atSouth].sort((x, y) => (x.hlc < y.hlc ? -1 : 1));
    expect(alerts[0]).toMatchObject({
      kind: 'duplicateEntry',
      checkinId: (second!.args as { id: string }).id,
      firstCheckinId: (first!.args as { id: string }).id,
    });
    expect(await checkinsOf(bookingId)).toHaveLength(2);

    const bucket = eventBucket(event.id);
    for (const device of [north, south]) {
      await device.pullAll();
      const seen = [...device.snapshot(bucket).keys()];
      expect(
        seen.filter((key) => key.startsWith('alert:') && key.includes((second!.args as { id: string }).id)),
      ).toHaveLength(1);
      expect(device.doc(bucket, 'alert', alerts[0]!.id)).toMatchObject({
        kind: 'duplicateEntry',
        bookingId,
      });
      expect(device.snapshot(bucket, ['checkin', 'alert', 'booking'])).toEqual(await serverSnapshot(server, event.id));
    }
  });

  it('an exit between two entries is no duplicate; a check-in of a cancelled booking is kept and alerted', async () => {
    const device = new SimDevice(staff.api);
    const bookingId = await addBooking(organizer.api, event);
    await device.push([
      device.checkin(event.id, bookingId, 'in'),
      device.checkin(event.id, bookingId, 'out'),
      device.checkin(event.id, bookingId, 'in'),
    ]);
    expect(await alertsOf(event.id, bookingId)).toHaveLength(0);

    const cancelled = await addBooking(organizer.api, event, 'Cancelled Guest');
    expect((await organizer.api.post(`/bookings/${cancelled}/cancel`)).status).toBe(200);
    const scan = device.checkin(event.id, cancelled);
    expect((await device.push([scan])).results[0]!.status).toBe('applied');
    expect(await countCheckins((scan.args as { id: string }).id)).toBe(1);
    const alerts = await alertsOf(event.id, cancelled);
    expect(alerts.map((a) => a.kind)).toEqual(['cancelledCheckin']);
  });

  it('a walk-in over capacity is accepted, flagged and alerted; alerts are listed for the event staff only', async () => {
    const small = await createEvent(organizer.api, [staff.user.id], {
      staffWalkIns: true,
      capacity: 1,
      ticketTypes: [{ name: 'Only', price: 0, quota: 1 }],
    });
    const device = new SimDevice(staff.api);
    const walkIn = (name: string) =>
      device.mutation('booking.walkIn', {
        bookingId: randomUUID(),
        eventId: small.id,
        ticketTypeId: small.ticketTypes[0]!.id,
        attendee: { name },
      });
    const response = await device.push([walkIn('First'), walkIn('Second')]);
    expect(response.results.map((r) => r.status)).toEqual(['applied', 'applied']);
    const listed = await staff.api.get(`/events/${small.id}/alerts`);
    expect(listed.status).toBe(200);
    const flagged = (await bookingsOf(server, small.id)).filter((b) => b.overCapacity);
    expect(flagged.length).toBeGreaterThanOrEqual(1);
    expect(listed.body.items.map((a: any) => [a.kind, a.bookingId]).sort()).toEqual(
      flagged.map((b) => ['overCapacity', b.id]).sort(),
    );
    const outsider = await signInAs(server, 'staff', 'Not Assigned');
    expect((await outsider.api.get(`/events/${small.id}/alerts`)).status).toBe(403);
  });
});
