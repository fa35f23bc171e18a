import { randomUUID } from 'node:crypto';
import { eventBucket, type Alert, type Event, type MutationResult } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs, type SignedIn } from '../../tests/support/users';
import { addBooking, assignStaff, createEvent, SimDevice } from './sync-fixtures';
import { changesOf } from './store-inspect';

/**
 * `alert.acknowledge` over the real push and pull (both stores): who may, what is stored, and that
 * the first acknowledgement by HLC stands however the pushes land (protocol acknowledgementWins).
 */
let server: TestServer;
let admin: SignedIn;
let organizer: SignedIn;
let staff: SignedIn;
let outsider: SignedIn;
let event: Event;
let otherEvent: Event;

beforeAll(async () => {
  server = await startTestServer({ rateLimit: { perMinute: 100_000, loginPerMinute: 1000 }, logLevel: 'error' });
  [admin, organizer, staff, outsider] = await Promise.all([
    signInAs(server, 'admin', 'Ada Admin'),
    signInAs(server, 'organizer', 'Olu Organizer'),
    signInAs(server, 'staff', 'Sam Staff'),
    signInAs(server, 'staff', 'Oona Outsider'),
  ]);
  event = await createEvent(organizer.api, [staff.user.id]);
  // Sam is on both doors; the other event's alerts are still not to be acknowledged under this one.
  otherEvent = await createEvent(organizer.api, [staff.user.id]);
});
afterAll(async () => {
  await server.close();
});

/** A duplicate entry raised by the server: one ticket admitted twice. Returns the alert's id. */
async function duplicateAlert(of: Event = event): Promise<string> {
  const bookingId = await addBooking(organizer.api, of, `Twice ${randomUUID().slice(0, 6)}`);
  const gate = new SimDevice(organizer.api);
  const first = gate.checkin(of.id, bookingId);
  const second = gate.checkin(of.id, bookingId);
  const results = await gate.push([first, second]);
  expect(results.results.map((result) => result.status)).toEqual(['applied', 'applied']);
  const alertId = `dup-${(second.args as { id: string }).id}`;
  expect(await server.ctx.store.alerts.findById(alertId)).not.toBeNull();
  return alertId;
}

function acknowledgement(device: SimDevice, alertId: string, of: Event = event, note?: string) {
  return device.mutation('alert.acknowledge', {
    id: randomUUID(),
    alertId,
    eventId: of.id,
    acknowledgedAt: new Date().toISOString(),
    ...(note ? { note } : {}),
  });
}

async function loggedVersions(alertId: string): Promise<number> {
  return (await changesOf(server, eventBucket(event.id))).filter((c) => c.type === 'alert' && c.id === alertId).length;
}

/** A clock a second ahead: its HLCs come after another device's of the same moment (within MAX_HLC_LEAD_MS). */
const aheadOfNow = () => Date.now() + 1000;

const statuses = (results: MutationResult[]) => results.map((result) => [result.status, result.code ?? null]);

describe('alert.acknowledge', () => {
  it('a steward acknowledges: stored with who and when, logged once, on every device of the event; a repeat changes nothing', async () => {
    const alertId = await duplicateAlert();
    const door = new SimDevice(staff.api);
    const ack = acknowledgement(door, alertId, event, 'Spoke to the guest: the first scan was a friend');
    expect(statuses((await door.push([ack])).results)).toEqual([['applied', null]]);

    const stored = await server.ctx.store.alerts.findById(alertId);
    expect(stored).toMatchObject({
      rev: 2,
      acknowledgement: {
        id: (ack.args as { id: string }).id,
        userId: staff.user.id,
        userName: 'Sam Staff',
        hlc: ack.hlc,
        note: 'Spoke to the guest: the first scan was a friend',
      },
    });
    expect(await loggedVersions(alertId)).toBe(2);

    // The same push again (a lost answer) answers as before; a second acknowledgement (a double
    // click, another steward later) is applied as a no-op: nothing rewritten, nothing logged.
    expect(statuses((await door.push([ack])).results)).toEqual([['applied', null]]);
    const later = acknowledgement(new SimDevice(organizer.api, aheadOfNow), alertId);
    expect(statuses((await new SimDevice(organizer.api).push([later])).results)).toEqual([['applied', null]]);
    expect(await server.ctx.store.alerts.findById(alertId)).toEqual(stored);
    expect(await loggedVersions(alertId)).toBe(2);

    // The organizer's device reads it from the event's bucket, as the REST list does.
    const desk = new SimDevice(organizer.api);
    await desk.pullAll();
    const doc = desk.doc<Alert>(eventBucket(event.id), 'alert', alertId);
    expect(doc?.acknowledgement).toMatchObject({ userName: 'Sam Staff', hlc: ack.hlc });
    const listed = await organizer.api.get<{ items: Alert[] }>(`/events/${event.id}/alerts`);
    expect(listed.body.items.find((alert) => alert.id === alertId)?.acknowledgement?.userId).toBe(staff.user.id);
  });

  it('two devices acknowledge at once, in either order: the earlier by HLC stands everywhere', async () => {
    for (const order of ['earlier first', 'later first', 'concurrent'] as const) {
      const alertId = await duplicateAlert();
      const gateA = new SimDevice(staff.api);
      const gateB = new SimDevice(organizer.api, aheadOfNow);
      const earlier = acknowledgement(gateA, alertId);
      const later = acknowledgement(gateB, alertId);
      expect(earlier.hlc < later.hlc).toBe(true);
      if (order === 'concurrent') {
        const answers = await Promise.all([gateB.push([later]), gateA.push([earlier])]);
        for (const answer of answers) expect(statuses(answer.results)).toEqual([['applied', null]]);
      } else {
        const [first, second] = order === 'earlier first' ? [earlier, later] : [later, earlier];
        for (const mutation of [first, second]) {
          const device = mutation === earlier ? gateA : gateB;
          expect(statuses((await device.push([mutation])).results)).toEqual([['applied', null]]);
        }
      }
      const stored = await server.ctx.store.alerts.findById(alertId);
      expect(stored?.acknowledgement, order).toMatchObject({ userId: staff.user.id, hlc: earlier.hlc });
      // Both devices converge on the server's row: the same doc at the highest rev.
      await Promise.all([gateA.pullAll(), gateB.pullAll()]);
      const docA = gateA.doc<Alert>(eventBucket(event.id), 'alert', alertId);
      expect(docA?.acknowledgement?.hlc, order).toBe(earlier.hlc);
      expect(gateB.doc<Alert>(eventBucket(event.id), 'alert', alertId), order).toEqual(docA);
      expect(gateA.snapshot(eventBucket(event.id), ['alert']).get(`alert:${alertId}`)).toBe(stored?.rev);
    }
  });

  it("the event's organizer, its assigned staff and admins may; staff of other events may not", async () => {
    const alertId = await duplicateAlert();
    const stranger = new SimDevice(outsider.api);
    // Not on this event's door: they may see the published event, not act at its door.
    expect(statuses((await stranger.push([acknowledgement(stranger, alertId)])).results)).toEqual([
      ['rejected', 'FORBIDDEN'],
    ]);
    expect((await server.ctx.store.alerts.findById(alertId))?.acknowledgement).toBeNull();
    // Assigned, the same person may (authorization is read when the push is applied).
    await assignStaff(organizer.api, event.id, [staff.user.id, outsider.user.id]);
    try {
      expect(statuses((await stranger.push([acknowledgement(stranger, alertId)])).results)).toEqual([
        ['applied', null],
      ]);
    } finally {
      await assignStaff(organizer.api, event.id, [staff.user.id]);
    }
    const head = new SimDevice(admin.api);
    const another = await duplicateAlert();
    expect(statuses((await head.push([acknowledgement(head, another)])).results)).toEqual([['applied', null]]);
    expect((await server.ctx.store.alerts.findById(another))?.acknowledgement?.userName).toBe('Ada Admin');
  });

  it("another event's alert, an unknown alert or bad args are rejected with a code, and block nothing", async () => {
    const foreign = await duplicateAlert(otherEvent);
    const door = new SimDevice(staff.api);
    const own = await duplicateAlert();
    const answer = await door.push([
      acknowledgement(door, foreign, event),
      acknowledgement(door, 'dup-no-such-alert', event),
      door.mutation('alert.acknowledge', { id: randomUUID(), alertId: own, eventId: event.id }),
      acknowledgement(door, own, event, 'x'.repeat(501)),
      acknowledgement(door, own, event),
    ]);
    expect(statuses(answer.results)).toEqual([
      ['rejected', 'ALERT_NOT_FOUND'],
      ['rejected', 'ALERT_NOT_FOUND'],
      ['rejected', 'VALIDATION_FAILED'],
      ['rejected', 'VALIDATION_FAILED'],
      ['applied', null],
    ]);
    expect((await server.ctx.store.alerts.findById(foreign))?.acknowledgement).toBeNull();
    expect((await server.ctx.store.alerts.findById(own))?.acknowledgement?.userId).toBe(staff.user.id);
  });
});
