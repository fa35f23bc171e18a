/**
 * Where a push spends its time: runs the sync server in this process with the MongoDB driver's
 * command monitoring on, pushes one batch of check-ins, and prints the database commands it issued
 * with their total durations. `npx tsx scripts/bench/profile-push.ts [--bookings N] [--batch N]`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEVICE_ID_HEADER, formatHlc } from '@gatehouse/protocol';
import { MongoClient, type CommandStartedEvent, type CommandSucceededEvent } from 'mongodb';
import { buildServer, loadConfig } from '../../sync-server/src/index';
import { startMongo } from '../mongo';
import { seedBookings, seedEvent } from './seed';

const argValue = (flag: string, fallback: number) => {
  const index = process.argv.indexOf(flag);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const bookings = argValue('--bookings', 2000);
const batch = argValue('--batch', 10);
const log = (line: string) => process.stderr.write(`${line}\n`);

const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-profile-'));
const mongo = await startMongo({ dataDir, log });
const config = {
  ...loadConfig({
    MONGODB_URI: mongo.uri,
    MONGODB_DB: 'profile',
    GATEHOUSE_DATA_DIR: dataDir,
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256-0123456789',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '100000000',
  }),
  scryptCost: 2 ** 12,
};
// The server builds its own client; switch command monitoring on before it connects.
const originalConnect = MongoClient.prototype.connect;
MongoClient.prototype.connect = function (this: MongoClient) {
  (this as unknown as { monitorCommands: boolean }).monitorCommands = true;
  return originalConnect.call(this);
};
const totals = new Map<string, { count: number; ms: number }>();
const started = new Map<number, string>();
const { app, ctx } = await buildServer(config);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
try {
  const seed = await seedEvent({ db: ctx.db, baseUrl, bookings });
  const fixture = await seedBookings({ db: ctx.db, seed, bookings, log });
  totals.clear();
  ctx.client.on('commandStarted', (event: CommandStartedEvent) => {
    const collection = event.command[event.commandName];
    started.set(event.requestId, `${event.commandName} ${typeof collection === 'string' ? collection : ''}`);
  });
  ctx.client.on('commandSucceeded', (event: CommandSucceededEvent) => {
    const key = started.get(event.requestId) ?? event.commandName;
    const entry = totals.get(key) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += event.duration;
    totals.set(key, entry);
  });
  const deviceId = randomUUID();
  const mutations = fixture.bookingIds.slice(0, batch).map((bookingId, i) => ({
    id: randomUUID(),
    name: 'checkin.record',
    args: {
      id: randomUUID(),
      eventId: fixture.eventId,
      bookingId,
      gate: 'G',
      direction: 'in',
      scannedAt: new Date().toISOString(),
    },
    hlc: formatHlc({ wallMs: Date.now(), counter: i, node: deviceId }),
  }));
  const t0 = performance.now();
  const response = await fetch(`${baseUrl}/sync/push`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${fixture.staff.accessToken}`,
      [DEVICE_ID_HEADER]: deviceId,
    },
    body: JSON.stringify({ mutations }),
  });
  const ms = performance.now() - t0;
  log(`push of ${batch} → ${response.status} in ${ms.toFixed(0)} ms`);
  const t1 = performance.now();
  const pull = await fetch(`${baseUrl}/sync/pull?limit=500`, {
    headers: { authorization: `Bearer ${fixture.staff.accessToken}`, [DEVICE_ID_HEADER]: deviceId },
  });
  await pull.text();
  log(`first pull page → ${pull.status} in ${(performance.now() - t1).toFixed(0)} ms`);
  report('push + first pull');
} finally {
  await app.close();
  await mongo.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

function report(title: string): void {
  log(`-- database commands during ${title}: total ms, count, command collection`);
  const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
  for (const [key, { count, ms: total }] of rows)
    log(`${total.toFixed(0).padStart(7)} ms ${String(count).padStart(5)}×  ${key}`);
}
