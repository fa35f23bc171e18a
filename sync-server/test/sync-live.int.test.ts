import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { eventBucket } from '@gatehouse/protocol';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs, type SignedIn } from '../../tests/support/users';
import { addBooking, assignStaff, createEvent, openLive, SimDevice } from './sync-fixtures';

/**
 * POSTs a push over a plain socket, calling `onAnswer` as soon as the answer's status line is read (in
 * the same turn of the event loop as its bytes arriving), and resolves with the status.
 */
function pushRaw(
  baseUrl: string,
  headers: Record<string, string>,
  body: unknown,
  onAnswer: () => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}/sync/push`,
      { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } },
      (res) => {
        onAnswer();
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

let server: TestServer;
let organizer: SignedIn;
let staff: SignedIn;
let otherStaff: SignedIn;

beforeAll(async () => {
  server = await startTestServer({
    allowedOrigins: ['https://app.gatehouse.example'],
    live: { heartbeatMs: 200, authTimeoutMs: 300, accessTtlMs: 100 },
  });
  [organizer, staff, otherStaff] = await Promise.all([
    signInAs(server, 'organizer'),
    signInAs(server, 'staff'),
    signInAs(server, 'staff', 'Other Staff'),
  ]);
});
afterAll(async () => {
  await server.close();
});

describe('/sync/live', () => {
  it('pokes a device after a commit in a bucket it may see, and not for other events', async () => {
    const mine = await createEvent(organizer.api, [staff.user.id]);
    const notMine = await createEvent(organizer.api, [otherStaff.user.id]);
    const live = await openLive(server, { token: staff.accessToken });
    expect(live.messages).toEqual([{ type: 'ready' }]);
    await addBooking(organizer.api, notMine);
    await addBooking(organizer.api, mine);
    const poke = await live.waitFor((m) => m.type === 'poke' && m.bucket === eventBucket(mine.id));
    expect(poke.seq).toBeGreaterThan(0);
    // The poke leads to a pull that has the change.
    const device = new SimDevice(staff.api);
    await device.pullAll();
    expect(device.snapshot(eventBucket(mine.id), ['booking']).size).toBe(1);
    expect(live.messages.filter((m) => m.bucket === eventBucket(notMine.id))).toEqual([]);
    live.ws.close();
  });

  it('stops poking about an event once the staff user is unassigned', async () => {
    const event = await createEvent(organizer.api, [staff.user.id]);
    const marker = await createEvent(organizer.api, [staff.user.id]);
    const live = await openLive(server, { token: staff.accessToken });
    await assignStaff(organizer.api, event.id, []);
    // Access is re-evaluated within accessTtlMs; wait for a poke that proves a later flush happened.
    await new Promise((resolve) => setTimeout(resolve, 150));
    live.messages.length = 0;
    await addBooking(organizer.api, event);
    await addBooking(organizer.api, marker);
    await live.waitFor((m) => m.type === 'poke' && m.bucket === eventBucket(marker.id));
    expect(live.messages.filter((m) => m.bucket === eventBucket(event.id))).toEqual([]);
    live.ws.close();
  });

  it('authenticates by header too, but never by URL', async () => {
    const deviceId = randomUUID();
    const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/sync/live`, {
      headers: { authorization: `Bearer ${staff.accessToken}`, 'x-device-id': deviceId },
    });
    const first = await new Promise<any>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data))));
      ws.once('error', reject);
    });
    expect(first).toEqual({ type: 'ready' });
    ws.close();
  });

  it('refuses a bad token, a missing auth message, and a foreign Origin', async () => {
    const bad = await openLive(server, { token: 'not-a-token' });
    expect(bad.messages[0]).toMatchObject({ type: 'error', code: 'TOKEN_INVALID' });
    expect((await bad.closed).code).toBe(4401);

    const silent = await openLive(server, { auth: false });
    expect((await silent.closed).code).toBe(4408);

    const garbage = await openLive(server, { auth: false });
    garbage.ws.send('{"type":"auth","accessToken":1}');
    expect((await garbage.closed).code).toBe(4401);

    await expect(openLive(server, { origin: 'https://evil.example', token: staff.accessToken })).rejects.toThrow(/403/);
    const allowed = await openLive(server, { origin: 'https://app.gatehouse.example', token: staff.accessToken });
    expect(allowed.messages[0]).toEqual({ type: 'ready' });
    allowed.ws.close();
    const loopback = await openLive(server, { origin: 'http://localhost:5173', token: staff.accessToken });
    expect(loopback.messages[0]).toEqual({ type: 'ready' });
    loopback.ws.close();
  });

  it('terminates a socket that stops answering pings', async () => {
    const dead = await openLive(server, { token: staff.accessToken, autoPong: false });
    expect(dead.messages[0]).toEqual({ type: 'ready' });
    const closed = await dead.closed;
    expect(closed.code).toBe(1006); // terminated, no close frame
    const alive = await openLive(server, { token: staff.accessToken });
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    alive.ws.close();
  });

  it('closes the socket of a revoked device', async () => {
    const deviceId = randomUUID();
    const live = await openLive(server, { token: staff.accessToken, deviceId });
    expect((await staff.api.delete(`/devices/${deviceId}`)).status).toBe(200);
    const event = await createEvent(organizer.api, [staff.user.id]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await addBooking(organizer.api, event);
    expect((await live.closed).code).toBe(4403);
  });
});

describe('/sync/live poke timing', () => {
  it('pokes the other devices before it answers the push that committed (#15)', async () => {
    // Access stays fresh for the whole test, so the flush never waits to re-read it.
    const fresh = await startTestServer({ live: { accessTtlMs: 600_000 } });
    try {
      const [owner, gate] = await Promise.all([signInAs(fresh, 'organizer'), signInAs(fresh, 'staff')]);
      const event = await createEvent(owner.api, [gate.user.id]);
      const bookingId = await addBooking(owner.api, event);
      const watcher = await openLive(fresh, { token: gate.accessToken });
      const scanner = new SimDevice(gate.api);
      const order: string[] = [];
      watcher.ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string };
        if (message.type === 'poke') order.push('poke');
      });
      const status = await pushRaw(
        fresh.baseUrl,
        { authorization: `Bearer ${gate.accessToken}`, 'x-device-id': scanner.deviceId },
        { mutations: [scanner.checkin(event.id, bookingId)] },
        () => order.push('answer'),
      );
      expect(status).toBe(200);
      await watcher.waitFor((m) => m.type === 'poke' && m.bucket === eventBucket(event.id));
      // Written to the watcher's socket before the answer to the pusher's: the other device's pull
      // is on its way while the pusher is still reading its answer.
      expect(order).toEqual(['poke', 'answer']);
      watcher.ws.close();
    } finally {
      await fresh.close();
    }
  });
});
