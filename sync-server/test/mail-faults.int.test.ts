import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startTestServer, type TestServer } from '../../tests/support/server';
import type { MailRow } from '../src/mail/outbox';
import { countBy, DroppingProxy, FAST_MAIL, seedEventWithAttendees, SmtpSink, waitFor } from './mail-harness';

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
      const rows = await server.ctx.mail.outbox.mail.find({ eventId }).toArray();
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
    const { eventId, emails } = await seedEventWithAttendees(server.ctx.db, 9, ['eventChanged:2']);
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

  it('two server processes on one database never send a message twice', async () => {
    const sink = await SmtpSink.start();
    cleanups.push(() => sink.close());
    const dbName = `t_mail_two_${Date.now().toString(36)}`;
    const first = await startServer({ dbName, smtpUrl: sink.url, mail: FAST_MAIL });
    const second = await startServer({ dbName, smtpUrl: sink.url, mail: FAST_MAIL });
    const { eventId, emails } = await seedEventWithAttendees(first.ctx.db, 24, ['eventChanged:2']);
    first.ctx.mail.nudge();
    second.ctx.mail.nudge();

    const rows = await allSettled(first, eventId, emails.length);
    expect(rows.every((row) => row.attempts === 1)).toBe(true);
    expect(sink.transfers).toHaveLength(emails.length);
    expect([...countBy(sink.accepted, (t) => t.to[0]!).values()].every((n) => n === 1)).toBe(true);
    expect(new Set(sink.accepted.map((t) => t.to[0])).size).toBe(emails.length);
  });
});

describe('crash mid-send', { timeout: 180_000 }, () => {
  it('kill -9 while the SMTP server holds replies: after restart each message arrives, only unacknowledged ones are resent, with the same Message-ID', async () => {
    const sink = await SmtpSink.start();
    cleanups.push(() => sink.close());
    const dbName = `t_mail_crash_${Date.now().toString(36)}`;
    // The seeding server only writes rows; its own worker goes to a dead port, so it must not run.
    const seeder = await startServer({ dbName, smtpUrl: 'smtp://127.0.0.1:9', mail: { ...FAST_MAIL, pollMs: 60_000 } });
    await seeder.ctx.mail.stop();
    const { eventId, emails } = await seedEventWithAttendees(seeder.ctx.db, 8, ['eventChanged:2']);
    const outbox = seeder.ctx.mail.outbox.mail;

    // The first three transfers are answered 250; every later one is held without an answer.
    let transfers = 0;
    sink.answer = () => (++transfers <= 3 ? 'accept' : 'hold');
    const child = spawnServer(dbName, sink.url);
    cleanups.push(() => child.kill('SIGKILL'));
    await waitFor(
      'three sent and two held',
      async () => sink.held.length === 2 && (await outbox.countDocuments({ eventId, status: 'sent' })) === 3,
      60_000,
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const atCrash = await outbox.find({ eventId }).toArray();
    const sentAtCrash = new Set(atCrash.filter((row) => row.status === 'sent').map((row) => row.to));
    expect(sentAtCrash.size).toBe(3);
    const heldRecipients = sink.held.map((t) => t.to[0]!);
    expect(atCrash.filter((row) => row.status === 'sending').map((row) => row.to)).toEqual(
      expect.arrayContaining(heldRecipients),
    );

    sink.answer = () => 'accept';
    sink.releaseHeld();
    // A new process on the same data: it takes over once the dead one's leases (1.5 s) run out.
    const restarted = await startServer({ dbName, smtpUrl: sink.url, mail: FAST_MAIL });
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

function spawnServer(dbName: string, smtpUrl: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'sync-server/src/main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      MONGODB_URI: inject('mongoUri'),
      MONGODB_DB: dbName,
      HOST: '127.0.0.1',
      PORT: '0',
      GATEHOUSE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gatehouse-mail-child-')),
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
      LOG_LEVEL: 'warn',
      SMTP_URL: smtpUrl,
      MAIL_LEASE_MS: '1500',
      MAIL_POLL_MS: '50',
      MAIL_CONCURRENCY: '2',
      SMTP_TIMEOUT_MS: '60000',
    },
  });
  return child;
}

describe('development transport and large fan-out', { timeout: 180_000 }, () => {
  it('without SMTP_URL, a change to an event with 1,200 attendees is queued in pages and written as .eml files', async () => {
    const server = await startServer({ smtpUrl: undefined, mail: FAST_MAIL });
    const { eventId, emails } = await seedEventWithAttendees(server.ctx.db, 1_200, []);
    const outbox = server.ctx.mail.outbox.mail;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = Date.now();
    await server.ctx.db
      .collection('events')
      .updateOne({ _id: eventId as never }, { $set: { mailPending: ['eventChanged:3'] } });
    server.ctx.mail.nudge();
    // The server keeps answering while the fan-out runs.
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    await waitFor('all queued', async () => (await outbox.countDocuments({ eventId })) === emails.length, 150_000);
    const queuedMs = Date.now() - started;
    await waitFor('the hand-off to be cleared', async () => {
      const event = await server.ctx.db.collection('events').findOne({ _id: eventId as never });
      return event?.mailPending.length === 0;
    });
    delay.disable();
    const ids = await outbox.distinct('_id', { eventId });
    expect(new Set(ids).size).toBe(emails.length);
    expect(new Set(await outbox.distinct('to', { eventId })).size).toBe(emails.length);

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
    const row = await outbox.findOne({ messageId: sample.messageId! });
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
