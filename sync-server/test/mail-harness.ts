import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { PNG } from 'pngjs';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import zxing from '@zxing/library';
import { generateTicketKeyPair } from '@gatehouse/protocol';
import type { Store } from '../src/store/port';
import type { MailSettings } from '../src/mail/settings';

/**
 * Test support for the mail tests: a real SMTP server in process (smtp-server) whose answers a
 * test scripts per message, a TCP proxy in front of it that can cut connections mid-transfer, and
 * decoders for what arrives (mailparser, pngjs + zxing for the QR).
 */

/** Outbox settings that make retries and leases take milliseconds instead of minutes. */
export const FAST_MAIL: MailSettings = {
  maxAttempts: 5,
  retryBaseMs: 20,
  retryCapMs: 200,
  leaseMs: 60_000,
  concurrency: 4,
  smtpTimeoutMs: 1_000,
  pollMs: 50,
};

/** What the SMTP server does with one message transfer (after reading all its data). */
export type SmtpAnswer =
  | 'accept'
  /** 451: try again later. */
  | 'reject'
  /** 550: never. */
  | 'refuse'
  /** No answer at all, until the client gives up. */
  | 'stall'
  /** No answer until `releaseHeld()`; counts as received-but-unacknowledged. */
  | 'hold';

export type Transfer = { messageId: string; to: string[]; attempt: number; parsed: ParsedMail; raw: Buffer };

export class SmtpSink {
  /** Transfers answered 250: what a real mail system would deliver. */
  readonly accepted: Transfer[] = [];
  /** Every DATA transfer received in full, whatever the answer. */
  readonly transfers: Transfer[] = [];
  /** The envelope recipients of every transaction (RCPT TO), accepted or not. */
  readonly envelopeRecipients: string[] = [];
  answer: (transfer: Omit<Transfer, 'parsed' | 'raw'>) => SmtpAnswer = () => 'accept';
  private readonly pending: { callback: (error?: Error | null) => void; transfer: Transfer }[] = [];
  private readonly attemptsById = new Map<string, number>();

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpSink> {
    // The server's callbacks need the sink, which needs the listening server: a late-bound reference.
    const ref: { sink?: SmtpSink } = {};
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // Close stalled connections quickly when the sink stops.
      closeTimeout: 200,
      onRcptTo(address, _session, callback) {
        ref.sink!.envelopeRecipients.push(address.address);
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          void ref.sink!.onMessage(Buffer.concat(chunks), session, callback);
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.server.address();
    ref.sink = new SmtpSink(server, typeof address === 'object' && address ? address.port : 0);
    return ref.sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  private async onMessage(raw: Buffer, session: SMTPServerSession, callback: (error?: Error | null) => void) {
    const parsed = await simpleParser(raw, { keepCidLinks: true });
    const messageId = parsed.messageId ?? '';
    const attempt = (this.attemptsById.get(messageId) ?? 0) + 1;
    this.attemptsById.set(messageId, attempt);
    const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
    const transfer: Transfer = { messageId, to, attempt, parsed, raw };
    this.transfers.push(transfer);
    const answer = this.answer({ messageId, to, attempt });
    if (answer === 'accept') {
      this.accepted.push(transfer);
      callback();
    } else if (answer === 'reject' || answer === 'refuse') {
      const error = new Error(answer === 'reject' ? 'Try again later' : 'Mailbox unavailable') as Error & {
        responseCode: number;
      };
      error.responseCode = answer === 'reject' ? 451 : 550;
      callback(error);
    } else {
      this.pending.push({ callback, transfer });
    }
  }

  /** Held transfers: received in full, not yet answered. */
  get held(): Transfer[] {
    return this.pending.map((entry) => entry.transfer);
  }

  /** Answers everything held or stalled with a temporary error (their clients are long gone). */
  releaseHeld(): void {
    for (const entry of this.pending.splice(0)) {
      entry.callback(Object.assign(new Error('closing'), { responseCode: 421 }));
    }
  }

  acceptedFor(address: string): Transfer[] {
    return this.accepted.filter((transfer) => transfer.to.includes(address));
  }

  async close(): Promise<void> {
    this.releaseHeld();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A TCP proxy in front of the sink. While `dropTransfers` > 0, the next message transfer's final
 * `.` is never forwarded: both sockets are destroyed, as when a network path dies mid-send.
 */
export class DroppingProxy {
  dropTransfers = 0;
  dropped = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<DroppingProxy> {
    const ref: { proxy?: DroppingProxy } = {};
    const server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      ref.proxy!.track(client, upstream);
      upstream.pipe(client);
      client.on('data', (chunk: Buffer) => {
        if (ref.proxy!.dropTransfers > 0 && chunk.includes('\r\n.\r\n')) {
          ref.proxy!.dropTransfers -= 1;
          ref.proxy!.dropped += 1;
          client.destroy();
          upstream.destroy();
          return;
        }
        upstream.write(chunk);
      });
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    ref.proxy = new DroppingProxy(server, typeof address === 'object' && address ? address.port : 0);
    return ref.proxy;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  private track(...sockets: net.Socket[]): void {
    for (const socket of sockets) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls until `check` returns a value (not undefined/false), at most `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Reads the QR code in a PNG the way a scanner app would. */
export function decodeQrPng(png: Buffer): string {
  const image = PNG.sync.read(png);
  const luminance = new Uint8ClampedArray(image.width * image.height);
  for (let i = 0; i < luminance.length; i++) {
    luminance[i] = (image.data[i * 4]! + image.data[i * 4 + 1]! + image.data[i * 4 + 2]!) / 3;
  }
  const source = new zxing.RGBLuminanceSource(luminance, image.width, image.height);
  // A generated image, not a photo: PURE_BARCODE reads it exactly instead of hunting for patterns.
  const hints = new Map<zxing.DecodeHintType, unknown>([
    [zxing.DecodeHintType.PURE_BARCODE, true],
    [zxing.DecodeHintType.TRY_HARDER, true],
  ]);
  return new zxing.QRCodeReader().decode(new zxing.BinaryBitmap(new zxing.HybridBinarizer(source)), hints).getText();
}

/**
 * An event with `count` confirmed bookings, imported in bulk through the store, and — when
 * `pending` names any — the mail hand-off an edit leaves: the fastest way to get many messages
 * into the outbox through the real sweeper.
 */
export async function seedEventWithAttendees(
  store: Store,
  count: number,
  pending: string[],
): Promise<{ eventId: string; emails: string[] }> {
  const eventId = `ev-${randomUUID()}`;
  const now = new Date().toISOString();
  await store.events.insert(
    {
      id: eventId,
      title: 'Seeded Concert',
      description: '',
      venue: 'Arena',
      startsAt: '2031-06-01T18:00:00Z',
      endsAt: '2031-06-01T22:00:00Z',
      startsAtMs: Date.parse('2031-06-01T18:00:00Z'),
      endsAtMs: Date.parse('2031-06-01T22:00:00Z'),
      timezone: 'Europe/London',
      capacity: count,
      status: 'published',
      ticketTypes: [{ id: 'std', name: 'Standard', price: 0, quota: count }],
      allowReentry: true,
      staffWalkIns: false,
      eraseAttendeesAfterDays: null,
      organizerId: 'seed',
      staffIds: [],
      bookedCount: 0,
      typeSold: {},
      fieldHlc: {},
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    },
    {
      id: `${eventId}-key`,
      eventId,
      ...generateTicketKeyPair(),
      createdAt: now,
      retiredAt: null,
    },
  );
  const emails = Array.from({ length: count }, (_, i) => `seeded-${i}-${eventId.slice(3, 11)}@example.test`);
  await store.bookings.importMany(
    eventId,
    emails.map((email, i) => ({
      id: `${eventId}-b${i}`,
      eventId,
      userId: 'seed',
      ticketTypeId: 'std',
      quantity: 1,
      attendee: { name: `Guest ${i}`, email },
      source: 'online',
      code: `C${i}`,
      createdAt: now,
    })),
  );
  if (pending.length > 0) await handOffEventMail(store, eventId, pending);
  return { eventId, emails };
}

/** What an edit of the event leaves for the mail domain: a hand-off naming `items`. */
export async function handOffEventMail(store: Store, eventId: string, items: string[]): Promise<void> {
  await store.events.update(eventId, () => ({ set: { updatedAt: new Date().toISOString() }, mail: items }));
}

/** Hand-offs waiting for the sweeper. */
export async function pendingHandoffs(store: Store): Promise<number> {
  return (await store.mail.handoffs(10_000)).length;
}

export function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
