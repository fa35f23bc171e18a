import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Event, Session } from '@gatehouse/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { SimDevice } from '../../sync-server/test/sync-fixtures';
import { ApiClient } from '../support/http';
import { createEvent, eventually } from './support';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ADMIN = { email: 'crash-admin@example.test', password: 'crash-admin-password' };

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A real sync-server process on the default (SQLite) store in `dataDir`, signed in as its admin. */
async function startServerProcess(dataDir: string, port: number): Promise<{ child: ChildProcess; admin: ApiClient }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'sync-server/src/main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      GATEHOUSE_DATA_DIR: dataDir,
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
      LOG_LEVEL: 'warn',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      RATE_LIMIT_PER_MINUTE: '1000000',
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
    },
  });
  children.push(child);
  const api = new ApiClient(`http://127.0.0.1:${port}`);
  let session: Session | undefined;
  await eventually(
    async () => {
      const login = await api.post<Session>('/auth/login', ADMIN).catch(() => null);
      if (login?.status === 200) session = login.body;
      return session !== undefined;
    },
    'the server process to answer',
    60_000,
  );
  return { child, admin: api.withToken(session!.accessToken) };
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** How many times each check-in's change is in the event's log, read through a fresh device's pull. */
async function checkinChangeCounts(api: ApiClient): Promise<Map<string, number>> {
  const reader = new SimDevice(api);
  const counts = new Map<string, number>();
  for (let page = 0; page < 1000; page++) {
    const pulled = await reader.pullOnce(500);
    for (const change of pulled.changes) {
      if (change.type === 'checkin') counts.set(change.id, (counts.get(change.id) ?? 0) + 1);
    }
    if (!pulled.hasMore) return counts;
  }
  throw new Error('the log did not end in 1000 pages');
}

describe('P2 no lost writes: kill -9 of the server (SQLite store)', () => {
  it('killed in the middle of a push, at several points: after restart the retried push applies each check-in once', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-server-crash-'));
    const port = await freePort();
    let { child, admin } = await startServerProcess(dataDir, port);
    const event: Event = await createEvent(admin, []);
    const walkIns = new SimDevice(admin);
    const bookingIds: string[] = [];
    const batch = Array.from({ length: 300 }, (_, i) => {
      const bookingId = crypto.randomUUID();
      bookingIds.push(bookingId);
      return walkIns.mutation('booking.walkIn', {
        bookingId,
        eventId: event.id,
        ticketTypeId: event.ticketTypes[0]!.id,
        attendee: { name: `Door Guest ${i}` },
      });
    });
    expect((await walkIns.push(batch)).results.every((result) => result.status === 'applied')).toBe(true);

    const device = new SimDevice(admin);
    // 250 a push: more than the 100 mutations the SQLite store commits in one transaction, so a
    // kill can land between two of a push's commits.
    const pushes = [0, 10, 40, 120].map((delayMs, round) => ({
      delayMs,
      mutations: Array.from({ length: 250 }, (_, i) =>
        device.checkin(event.id, bookingIds[(round * 250 + i) % 300]!, round % 2 ? 'out' : 'in'),
      ),
    }));
    const recordedBeforeRetry: number[] = [];
    for (const push of pushes) {
      // The push is on the wire; the server dies at some point of applying it, answered or not.
      const sent = device.pushRaw(push.mutations).catch(() => null);
      await new Promise((resolve) => setTimeout(resolve, push.delayMs));
      await kill9(child);
      await sent;
      ({ child, admin } = await startServerProcess(dataDir, port));
      device.api = admin;
      // What the killed process committed: whole transactions only, never a part of one.
      const ids = new Set(push.mutations.map((m) => (m.args as { id: string }).id));
      const logged = await checkinChangeCounts(admin);
      const recorded = [...ids].filter((id) => logged.has(id)).length;
      recordedBeforeRetry.push(recorded);
      expect([0, 100, 200, 250], `recorded before the retry: ${recorded}`).toContain(recorded);
      const retried = await device.push(push.mutations);
      expect(retried.results.map((result) => result.status)).toEqual(push.mutations.map(() => 'applied'));
    }
    console.log(JSON.stringify({ measure: 'p2_server_kill', recordedBeforeRetry }));

    // Exactly once: every check-in on the server, each logged exactly once.
    const logged = await checkinChangeCounts(admin);
    const expected = pushes.flatMap((push) => push.mutations.map((m) => (m.args as { id: string }).id));
    expect(logged.size).toBe(expected.length);
    for (const id of expected) expect(logged.get(id), id).toBe(1);
    const stats = await admin.get(`/events/${event.id}/stats`);
    expect(stats.body).toMatchObject({ booked: 300, checkedIn: 300 });
  }, 180_000);
});
