import { randomUUID } from 'node:crypto';
import { eventBucket, type Event } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../../tests/support/server';
import type { SignedIn } from '../../tests/support/users';
import { createStaffedEvent, serverWithCastForTests, type Cast } from './events-fixtures';
import { bookingsOf, changesOf } from './store-inspect';
import { SimDevice } from './sync-fixtures';

/**
 * Walk-ins by check-in staff are the event's `staffWalkIns` setting (protocol's mayAddWalkIn): the
 * server refuses them from assigned staff when it is off, over REST and through sync push alike,
 * while the organizer and admins may always add them. Run on both stores.
 */
let server: TestServer;
let cast: Cast;

serverWithCastForTests((started) => ({ server, cast } = started));

const walkInBody = (event: Event, name: string) => ({ ticketTypeId: event.ticketTypes[0]!.id, attendee: { name } });
const restWalkIn = (who: SignedIn, event: Event, name: string) =>
  who.api.post<{ error?: { code: string } }>(`/events/${event.id}/bookings`, walkInBody(event, name));
const queuedWalkIn = (device: SimDevice, event: Event, name: string) =>
  device.mutation('booking.walkIn', { bookingId: randomUUID(), eventId: event.id, ...walkInBody(event, name) });
const setStaffWalkIns = async (event: Event, staffWalkIns: boolean) => {
  const patched = await cast.organizer.api.patch<Event>(`/events/${event.id}`, { staffWalkIns });
  expect(patched.status).toBe(200);
  return patched.body;
};
const namesOf = async (event: Event) => (await bookingsOf(server, event.id)).map((booking) => booking.attendee.name);

describe('the staffWalkIns setting', () => {
  it('is off on a new event, and an edit round-trips through REST and the synced event doc', async () => {
    const event = await createStaffedEvent(cast);
    expect(event.staffWalkIns).toBe(false);
    expect((await setStaffWalkIns(event, true)).staffWalkIns).toBe(true);
    expect((await cast.staff.api.get<Event>(`/events/${event.id}`)).body.staffWalkIns).toBe(true);
    const logged = (await changesOf(server, eventBucket(event.id))).filter((change) => change.type === 'event');
    expect(logged.at(-1)?.doc).toMatchObject({ staffWalkIns: true });
  });

  it('off: assigned staff are refused FORBIDDEN over REST and through sync; nothing is stored', async () => {
    const event = await createStaffedEvent(cast);
    const rest = await restWalkIn(cast.staff, event, 'Refused Rest');
    expect(rest.status).toBe(403);
    expect(rest.body.error?.code).toBe('FORBIDDEN');
    const device = new SimDevice(cast.staff.api);
    const pushed = await device.push([queuedWalkIn(device, event, 'Refused Push')]);
    expect(pushed.results).toMatchObject([{ status: 'rejected', code: 'FORBIDDEN' }]);
    expect(await namesOf(event)).toEqual([]);
  });

  it('off: the organizer and admins still add walk-ins, over REST and through sync', async () => {
    const event = await createStaffedEvent(cast);
    expect((await restWalkIn(cast.organizer, event, 'By Organizer')).status).toBe(201);
    expect((await restWalkIn(cast.admin, event, 'By Admin')).status).toBe(201);
    for (const who of [cast.organizer, cast.admin]) {
      const device = new SimDevice(who.api);
      const pushed = await device.push([queuedWalkIn(device, event, `Pushed by ${who.user.name}`)]);
      expect(pushed.results.map((result) => result.status)).toEqual(['applied']);
    }
    expect((await namesOf(event)).sort()).toEqual(
      ['By Admin', 'By Organizer', `Pushed by ${cast.admin.user.name}`, `Pushed by ${cast.organizer.user.name}`].sort(),
    );
  });

  it('on: assigned staff add walk-ins over REST and through sync; unassigned staff are still refused', async () => {
    const event = await setStaffWalkIns(await createStaffedEvent(cast), true);
    expect((await restWalkIn(cast.staff, event, 'Staff Rest')).status).toBe(201);
    const device = new SimDevice(cast.staff.api);
    expect((await device.push([queuedWalkIn(device, event, 'Staff Push')])).results).toMatchObject([
      { status: 'applied' },
    ]);
    expect((await restWalkIn(cast.otherStaff, event, 'Not Assigned')).status).toBe(403);
    const stranger = new SimDevice(cast.otherStaff.api);
    expect((await stranger.push([queuedWalkIn(stranger, event, 'Not Assigned Push')])).results).toMatchObject([
      { status: 'rejected', code: 'FORBIDDEN' },
    ]);
    expect((await namesOf(event)).sort()).toEqual(['Staff Push', 'Staff Rest']);
  });

  it('is read when the push is applied: a walk-in queued while on is refused once the organizer turns it off', async () => {
    const event = await setStaffWalkIns(await createStaffedEvent(cast), true);
    const device = new SimDevice(cast.staff.api);
    const queued = queuedWalkIn(device, event, 'Queued Offline');
    await setStaffWalkIns(event, false);
    expect((await device.push([queued])).results).toMatchObject([{ status: 'rejected', code: 'FORBIDDEN' }]);
    expect(await namesOf(event)).toEqual([]);
  });
});
