import { eventBucket } from '@gatehouse/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seedDemo, DEMO_ACCOUNTS } from '../../scripts/seed';
import { ApiClient } from '../../tests/support/http';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { DEMO_BOOKING_COUNT, DEMO_EVENT_ID } from '../src/events/demo-seed';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

it('seeds a published demo event with staff and 2,000 bookings, every row in the change log, once', async () => {
  const lines: string[] = [];
  const started = Date.now();
  await seedDemo(server.ctx, { log: (line) => lines.push(line) });
  const seedMs = Date.now() - started;
  expect(lines.some((line) => line.includes('2000 new bookings'))).toBe(true);
  console.log(`[measure] demo seed: ${DEMO_BOOKING_COUNT} bookings in ${seedMs} ms`);

  const staffAccount = DEMO_ACCOUNTS.find((account) => account.role === 'staff')!;
  const api = new ApiClient(server.baseUrl);
  const login = await api.post('/auth/login', { email: staffAccount.email, password: staffAccount.password });
  const staff = api.withToken(login.body.accessToken);

  const event = await staff.get(`/events/${DEMO_EVENT_ID}`);
  expect(event.status).toBe(200);
  expect(event.body).toMatchObject({ status: 'published', bookedCount: DEMO_BOOKING_COUNT });
  expect(event.body.staffIds).toEqual([login.body.user.id]);
  expect(Date.parse(event.body.startsAt)).toBeGreaterThan(Date.now());
  // Every row is in the change log, contiguous from seq 1, readable by a device's pull.
  const bucket = eventBucket(DEMO_EVENT_ID);
  const { changes, upTo } = await server.ctx.store.changes.read(bucket, 0, 5000);
  expect(upTo).toBe((await server.ctx.store.changes.heads([bucket])).get(bucket));
  expect(new Set(changes.filter((c) => c.type === 'booking').map((c) => c.id)).size).toBe(DEMO_BOOKING_COUNT);
  expect(changes.some((c) => c.type === 'ticketKey')).toBe(true);
  expect(changes.some((c) => c.type === 'event')).toBe(true);

  // Idempotent across restarts: nothing new the second time.
  await seedDemo(server.ctx, { log: (line) => lines.push(line) });
  expect((await server.ctx.store.changes.read(bucket, upTo, 100)).changes).toEqual([]);
  expect(lines.filter((line) => line.includes('new bookings'))).toHaveLength(1);
}, 180_000);
