import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { reopenedDbName, startTestServer, testStoreKind, type TestServer } from '../../tests/support/server';
import { openStore } from '../src/store/open';
import type { MailRow } from '../src/store/rows';
import {
  countBy,
  DroppingProxy,
  FAST_MAIL,
  handOffEventMail,
  pendingHandoffs,
  seedEventWithAttendees,
  SmtpSink,
  waitFor,
} from './mail-harness';
import { FAN_OUT_PAGE } from '../src/mail/sweeper';
import { mailRows } from './store-inspect';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Everything a test started, stopped afterwards even when it fails. */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(options: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer({ logLevel: 'silent', ...options });
  cleanups.push(() => server.close());
  return server;
}

async function allSettled(server: TestServer, eventId: string, expected: number): Promise<MailRow[]> {
  return waitFor(
    'every message to be sent',
    async () => {
      const rows = (await mailRows(server)).filter((row) => row.eventId === eventId);
      return rows.length === expected && rows.every((row) => row.status === 'sent') && rows;
    },
    150_000,
  );
}

describe('SMTP faults', { timeout: 180_000 }, () => {
  it('the server rejects, times out and drops the connection: messages retry and arrive once, same Message-ID', async () => {
    const sink = await SmtpSink.start();
    cleanups.push(() => sink.close());
    const proxy = await DroppingProxy.start(sink.port);
    cleanups.push(() => proxy.close());
    const server = await startServer({
      smtpUrl: proxy.url,
      mail: { ...FAST_MAIL, smtpTimeoutMs: 700, maxAttempts: 8 },
    });
    // First try of every third message answered 451, of the next stalled until the client gives up;
    // and the first three transfers through the proxy die before their final dot reaches the server.
    const { eventId, emails } = await seedEventWithAttendees(server.ctx.store, 9, ['eventChanged:2']);
    const fault = new Map(emails.map((email, i) => [email, (['reject', 'stall', 'accept'] as const)[i % 3]!]));
    sink.answer = ({ to, attempt }) => (attempt === 1 ? fault.get(to[0]!)! : 'accept');
    proxy.dropTransfers = 3;
    server.ctx.mail.nudge();

    const rows = await allSettled(server, eventId, emails.length);
    const accepted = countBy(sink.accepted, (t) => t.to[0]!);
    for (const email of emails) expect(accepted.get(email), email).toBe(1);
    expect(proxy.dropped).toBe(3);
    const byTo = new Map(rows.map((row) => [row.to, row]));
    for (const transfer of sink.transfers) expect(transfer.messageId).toBe(byTo.get(transfer.to[0]!)!.messageId);
    // The faults really happened: refused and stalled messages needed a second try.
    for (const [email, kind] of fault) {
      if (kind !== 'accept') expect(byTo.get(email)!.attempts, `${kind} ${email}`).toBeGreaterThanOrEqual(2);
    }
    const faultedTransfers = sink.transfers.filter((t) => fault.get(t.to[0]!) !== 'accept' && t.attempt === 1);
    expect(faultedTransfers.length).toBeGreaterThanOrEqual(6);
  });

  // Several processes share a MongoDB; a SQLite file has one (a second refuses to start).
  if (testStoreKind() === 'mongodb') {
    it('two server processes on one database never send a message twice', async () => {
      const sink = await SmtpSink.start();
      cleanups.push(() => sink.close());
      const first = await startServer({ smtpUrl: sink.url, mail: FAST_MAIL });
      const second = await startServer({ dbName: reopenedDbName(first), smtpUrl: sink.url, mail: FAST_MAIL });
      const { eventId, emails } = await seedEventWithAttendees(first.ctx.store, 24, ['eventChanged:2']);
      first.ctx.mail.nudge();
      second.ctx.mail.nudge();

      const rows = await allSettled(first, eventId, emails.length);
      expect(rows.every((row) => row.attempts === 1)).toBe(true);
      expect(sink.transfers).toHaveLength(emails.length);
      expect([...countBy(sink.accepted, (t) => t.to[0]!).values()].every((n) => n === 1)).toBe(true);
      expect(new Set(sink.accepted.map((t) => t.to[0])).size).toBe(emails.length);
    });
  }
});

describe('crash mid-send', { timeout: 180_000 }, () => {
  it('kill -9 while the SMTP server holds replies: after restart each message arrives, only unacknowledged ones are resent, with the same Message-ID', async () => {
    const sink = await SmtpSink.start();
    cleanups.push(() => sink.close());
    // The seeding server only writes rows; its own worker goes to a dead port, so it must not run.
    const seeder = await startServer({ smtpUrl: 'smtp://127.0.0.1:9', mail: { ...FAST_MAIL, pollMs: 60_000 } });
    await seeder.ctx.mail.stop();
    const { eventId, emails } = await seedEventWithAttendees(seeder.ctx.store, 8, ['eventChanged:2']);
    const data = { dataDir: seeder.config.dataDir, dbName: reopenedDbName(seeder) };
    // The child owns the store now (a SQLite file has one server at a time).
    await seeder.close();

    // The first three transfers are answered 250; every later one is held without an answer.
    let transfers = 0;
    sink.answer = () => (++transfers <= 3 ? 'accept' : 'hold');
    const child = await spawnServer(data, sink.url);
    cleanups.push(() => child.process.kill('SIGKILL'));
    const outboxOfChild = async () => {
      const listed = await fetch(`${child.url}/admin/mail?limit=500`, {
        headers: { authorization: `Bearer ${child.token}` },
      });
      return ((await listed.json()) as { items: Array<{ eventId: string; status: string; to: string }> }).items.filter(
        (row) => row.eventId === eventId,
      );
    };
    await waitFor(
      'three sent and two held',
      async () => sink.held.length === 2 && (await outboxOfChild()).filter((row) => row.status === 'sent').length === 3,
      60_000,
    );
    const exited = new Promise((resolve) => child.process.once('exit', resolve));
    child.process.kill('SIGKILL');
    await exited;

    // What the killed process left, read from the store before anyone else touches it.
    const store = await openStore(startConfig(seeder, data).store, silentLog);
    const atCrash = (await store.mail.list({}, undefined, 500)).filter((row) => row.eventId === eventId);
    await store.close();
    const sentAtCrash = new Set(atCrash.filter((row) => row.status === 'sent').map((row) => row.to));
    expect(sentAtCrash.size).toBe(3);
    const heldRecipients = sink.held.map((t) => t.to[0]!);
    expect(atCrash.filter((row) => row.status === 'sending').map((row) => row.to)).toEqual(
      expect.arrayContaining(heldRecipients),
    );

    sink.answer = () => 'accept';
    sink.releaseHeld();
    // A new process on the same data: it takes over once the dead one's leases (1.5 s) run out.
    const restarted = await startServer({ ...data, smtpUrl: sink.url, mail: FAST_MAIL });
    const rows = await allSettled(restarted, eventId, emails.length);

    const accepted = countBy(sink.accepted, (t) => t.to[0]!);
    const received = countBy(sink.transfers, (t) => t.to[0]!);
    for (const email of emails) {
      expect(accepted.get(email), email).toBe(1);
      if (sentAtCrash.has(email)) expect(received.get(email), `acknowledged before the crash: ${email}`).toBe(1);
    }
    const resent = emails.filter((email) => (received.get(email) ?? 0) > 1);
    expect(resent.sort()).toEqual([...heldRecipients].sort());
    const byTo = new Map(rows.map((row) => [row.to, row]));
    for (const transfer of sink.transfers) expect(transfer.messageId).toBe(byTo.get(transfer.to[0]!)!.messageId);
  });
});

const silentLog = { info: () => {}, warn: () => {}, error: () => {} };

/** The store configuration of `server`'s data, for opening it again without a server. */
function startConfig(server: TestServer, data: { dataDir: string; dbName: string | undefined }) {
  return data.dbName && server.config.store.kind === 'mongodb'
    ? { store: { ...server.config.store, dbName: data.dbName } }
    : { store: { kind: 'sqlite' as const, file: path.join(data.dataDir, 'gatehouse.db') } };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A real server process on the same data, with an admin to read its outbox over HTTP. */
async function spawnServer(
  data: { dataDir: string; dbName: string | undefined },
  smtpUrl: string,
): Promise<{ process: ChildProcess; url: string; token: string }> {
  const port = await freePort();
  const admin = { email: 'crash-admin@example.test', password: 'crash-admin-password' };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'sync-server/src/main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      ...(data.dbName ? { MONGODB_URI: inject('mongoUri'), MONGODB_DB: data.dbName } : {}),
      HOST: '127.0.0.1',
      PORT: String(port),
      GATEHOUSE_DATA_DIR: data.dataDir,
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
      LOG_LEVEL: 'warn',
      SMTP_URL: smtpUrl,
      MAIL_LEASE_MS: '1500',
      MAIL_POLL_MS: '50',
      MAIL_CONCURRENCY: '2',
      SMTP_TIMEOUT_MS: '60000',
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const token = await waitFor(
    'the child server to answer',
    async () => {
      try {
        const login = await fetch(`${url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(admin),
        });
        return login.status === 200 && ((await login.json()) as { accessToken: string }).accessToken;
      } catch {
        return false;
      }
    },
    60_000,
  );
  return { process: child, url, token };
}

/**
 * Attendees of the fan-out test: six pages of FAN_OUT_PAGE on SQLite, three on FerretDB, whose scans
 * of the whole outbox for every page made 1,200 take 23 s there (the MongoDB leg's smaller size).
 */
const FAN_OUT_ATTENDEES = testStoreKind() === 'mongodb' ? 3 * FAN_OUT_PAGE : 6 * FAN_OUT_PAGE;

describe('development transport and large fan-out', { timeout: 180_000 }, () => {
  it('without SMTP_URL, a change to an event with attendees over several pages is queued in pages and written as .eml files', async () => {
    const server = await startServer({ smtpUrl: undefined, mail: FAST_MAIL });
    const { eventId, emails } = await seedEventWithAttendees(server.ctx.store, FAN_OUT_ATTENDEES, []);
    const outbox = async () => (await mailRows(server)).filter((row) => row.eventId === eventId);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = Date.now();
    await handOffEventMail(server.ctx.store, eventId, ['eventChanged:3']);
    server.ctx.mail.nudge();
    // The server keeps answering while the fan-out runs.
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    await waitFor('all queued', async () => (await outbox()).length === emails.length, 150_000);
    const queuedMs = Date.now() - started;
    await waitFor('the hand-off to be cleared', async () => (await pendingHandoffs(server.ctx.store)) === 0);
    delay.disable();
    const queued = await outbox();
    expect(new Set(queued.map((row) => row.id)).size).toBe(emails.length);
    expect(new Set(queued.map((row) => row.to)).size).toBe(emails.length);

    const folder = path.join(server.config.dataDir, 'mail');
    const files = await waitFor('.eml files', () => {
      try {
        const names = readdirSync(folder).filter((name) => name.endsWith('.eml'));
        return names.length >= 5 && names;
      } catch {
        return false;
      }
    });
    const sample = await simpleParser(readFileSync(path.join(folder, files[0]!)));
    const row = queued.find((message) => message.messageId === sample.messageId);
    expect(row).not.toBeNull();
    expect(emails).toContain(row!.to);
    expect(sample.subject).toBe('Changed: Seeded Concert');
    expect(sample.attachments.map((a) => a.filename)).toEqual(['event.ics']);
    console.log(
      JSON.stringify({
        measure: 'mail_fan_out',
        recipients: emails.length,
        queuedMs,
        eventLoopDelayMaxMs: Math.round(delay.max / 1e6),
        eventLoopDelayP99Ms: Math.round(delay.percentile(99) / 1e6),
      }),
    );
  });
});
