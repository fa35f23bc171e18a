import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from '../config';
import type { Store } from '../store/port';
import { MailOutbox, messageIdDomain } from './outbox';
import { MailSweeper, type TicketIssuer } from './sweeper';
import { createMailTransport, type MailTransport } from './transport';
import { MailWorker } from './worker';

/**
 * The mail domain's parts, as other domains and tests see them through `ctx.mail`. Other domains
 * do not queue mail themselves: they record a mail hand-off with their write (see sweeper.ts) and may call
 * `nudge()` so it goes out at once rather than at the next sweep.
 */
export class MailService {
  readonly outbox: MailOutbox;
  readonly transport: MailTransport;
  readonly sweeper: MailSweeper;
  readonly worker: MailWorker;

  constructor(
    store: Store,
    private readonly config: ServerConfig,
    tickets: TicketIssuer,
    log: FastifyBaseLogger,
  ) {
    this.outbox = new MailOutbox(store.mail, messageIdDomain(config.mailFrom));
    this.transport = createMailTransport(config);
    this.worker = new MailWorker(this.outbox, this.transport, config.mail, config.mailFrom, log);
    this.sweeper = new MailSweeper(store, this.outbox, tickets, log, () => this.worker.wake());
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
