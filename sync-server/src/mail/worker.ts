import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import QRCode from 'qrcode';
import type { SendMailOptions } from 'nodemailer';
import { QR_CONTENT_ID } from './compose';
import type { MailRow } from '../store/rows';
import { backoffMs } from '@gatehouse/protocol';
import type { MailOutbox } from './outbox';
import type { MailSettings } from './settings';
import type { MailTransport } from './transport';

/** After `attempts` tries, the next waits about base × 2^(attempts-1), capped, with equal jitter (protocol backoffMs). */
export function mailRetryMs(attempts: number, settings: Pick<MailSettings, 'retryBaseMs' | 'retryCapMs'>): number {
  return backoffMs(attempts - 1, { baseMs: settings.retryBaseMs, capMs: settings.retryCapMs, jitter: 'equal' });
}

/** SMTP 5xx is the receiving server saying "never": retrying cannot help (RFC 5321 §4.2.1). */
function isPermanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * Claims due messages from the outbox and sends them, `concurrency` at a time. Every outcome is
 * recorded under the lease; a process that dies mid-send leaves its messages `sending` until the
 * lease runs out, and then any worker resends them with the same Message-ID.
 */
export class MailWorker {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();
  private wakeUp: (() => void) | null = null;
  /** Set by a wake() that came while the loop was busy, so the next sleep returns at once. */
  private woken = false;

  constructor(
    private readonly outbox: MailOutbox,
    private readonly transport: MailTransport,
    private readonly settings: MailSettings,
    private readonly from: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** New work may be due: look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming and waits (bounded) for the sends in flight to record their outcome. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.running = false;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.loopDone, ...this.inFlight]),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let claimed = false;
      try {
        while (this.running && this.inFlight.size < this.settings.concurrency) {
          const row = await this.outbox.claim(this.owner, this.settings.leaseMs);
          if (!row) break;
          claimed = true;
          const delivery: Promise<void> = this.deliver(row)
            .catch((error: unknown) =>
              this.log.error({ err: error, mailId: row.id }, 'mail delivery bookkeeping failed'),
            )
            .finally(() => {
              this.inFlight.delete(delivery);
              this.wake();
            });
          this.inFlight.add(delivery);
        }
      } catch (error) {
        this.log.warn({ err: error }, 'mail worker could not claim; retrying');
      }
      // Full: wait for a slot. Idle: wait for the poll interval or a wake-up.
      if (this.running && (!claimed || this.inFlight.size >= this.settings.concurrency)) {
        await this.sleep(this.settings.pollMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      timer.unref();
      this.wakeUp = finish;
    });
  }

  private async deliver(row: MailRow): Promise<void> {
    if (row.attempts > this.settings.maxAttempts) {
      // Only reachable when holders kept dying mid-send: a poison message must not loop forever.
      await this.outbox.markDead(row.id, row.claimSeq, row.lastError ?? 'gave up: the sender stopped during every try');
      return;
    }
    let accepted: string;
    try {
      accepted = (await this.transport.send(await this.toMessage(row), row.id)).accepted;
    } catch (error) {
      const reason = describeError(error);
      if (isPermanent(error) || row.attempts >= this.settings.maxAttempts) {
        await this.outbox.markDead(row.id, row.claimSeq, reason);
        this.log.warn({ mailId: row.id, attempts: row.attempts, reason }, 'mail moved to dead letters');
      } else {
        const delay = mailRetryMs(row.attempts, this.settings);
        await this.outbox.markRetry(row.id, row.claimSeq, reason, Date.now() + delay);
        this.log.info(
          { mailId: row.id, attempts: row.attempts, retryInMs: delay, reason },
          'mail send failed; will retry',
        );
      }
      return;
    }
    const recorded = await this.outbox.markSent(row);
    if (!recorded) this.log.warn({ mailId: row.id }, 'mail sent after its lease ran out; it may be sent twice');
    this.log.info({ mailId: row.id, messageId: row.messageId, accepted }, 'mail sent');
  }

  private async toMessage(row: MailRow): Promise<SendMailOptions> {
    const attachments: NonNullable<SendMailOptions['attachments']> = [];
    if (row.qrToken) {
      const png = await QRCode.toBuffer(row.qrToken, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 6 });
      attachments.push({ filename: 'ticket.png', content: png, contentType: 'image/png', cid: QR_CONTENT_ID });
    }
    if (row.ics) {
      attachments.push({
        filename: 'event.ics',
        content: row.ics,
        contentType: 'text/calendar; charset=utf-8; method=PUBLISH',
      });
    }
    return {
      from: this.from,
      to: { name: row.toName, address: row.to },
      subject: row.subject,
      text: row.text,
      html: row.html,
      messageId: row.messageId,
      // The first queueing time, so every attempt is the same message, byte for byte where it matters.
      date: new Date(row.createdAtMs),
      headers: { 'Auto-Submitted': 'auto-generated' },
      attachments,
    };
  }
}
