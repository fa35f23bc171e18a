import type { FastifyBaseLogger } from 'fastify';
import type { Db } from 'mongodb';
import type { ServerConfig } from '../config';
import type { RowLock } from '../db/keyed-lock';
import { MailOutbox, messageIdDomain } from './outbox';
import { MailSweeper, type TicketIssuer } from './sweeper';
import { createMailTransport, type MailTransport } from './transport';
import { MailWorker } from './worker';

/**
 * The mail domain's parts, as other domains and tests see them through `ctx.mail`. Other domains
 * do not queue mail themselves: they set `mailPending` on their row (see sweeper.ts) and may call
 * `nudge()` so it goes out at once rather than at the next sweep.
 */
export class MailService {
  readonly outbox: MailOutbox;
  readonly transport: MailTransport;
  readonly sweeper: MailSweeper;
  readonly worker: MailWorker;

  constructor(
    db: Db,
    private readonly config: ServerConfig,
    tickets: TicketIssuer,
    log: FastifyBaseLogger,
    rowLock: RowLock,
  ) {
    this.outbox = new MailOutbox(db, messageIdDomain(config.mailFrom));
    this.transport = createMailTransport(config);
    this.worker = new MailWorker(this.outbox, this.transport, config.mail, config.mailFrom, log);
    this.sweeper = new MailSweeper(db, this.outbox, tickets, log, () => this.worker.wake(), rowLock);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([this.outbox.ensureIndexes(), this.sweeper.ensureIndexes()]);
  }

  /** The sweep runs at once (repairing hand-offs a crash left behind), then every poll interval. */
  start(): void {
    this.sweeper.start(this.config.mail.pollMs);
    this.worker.start();
  }

  nudge(): void {
    this.sweeper.nudge();
  }

  async stop(): Promise<void> {
    await this.sweeper.stop();
    await this.worker.stop();
    this.transport.close();
  }
}
