import { type MailListQuery, type MailMessage, type MailSummary, type Page, truncateText } from '@gatehouse/protocol';
import { ListPages } from '../http/pagination';
import type { MailRepository } from '../store/port';
import type { MailRow } from '../store/rows';
import { keptAfterSending } from './account';
import type { ComposedMail } from './compose';

/**
 * The outbox: every message is recorded in the store before any attempt to send it; its id is
 * derived from its cause, so queuing the same cause twice is a no-op.
 *
 * States: pending → (claimed) sending → sent | pending (retry later) | dead; an admin may retry a
 * dead or discarded message, or discard a dead or pending one. A claim is a lease: a lease that
 * runs out (its holder died mid-send) makes the message claimable again, and it is resent with the
 * same Message-ID (docs/ARCHITECTURE.md §5, Mail).
 */

const MAX_ERROR_LENGTH = 500;

/** The outbox newest first, by when each message was queued (a retry keeps its place). */
const MAIL_PAGES = new ListPages('mail', 'createdAtMs', 'number');

/** `<bookingConfirmed.abc@example.org>`: a valid msg-id (RFC 5322 dot-atom) derived from the row id. */
export function messageIdFor(id: string, domain: string): string {
  const local = id.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+/g, '.').replace(/^\.+|\.+$/g, '');
  return `<${local}@${domain}>`;
}

/** The domain part of MAIL_FROM, so Message-IDs belong to the sender's domain. */
export function messageIdDomain(mailFrom: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom);
  return match?.[1] ?? 'gatehouse.local';
}

export function toMailMessage(row: MailRow): MailMessage {
  return {
    id: row.id,
    kind: row.kind,
    to: row.to,
    subject: row.subject,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: new Date(row.createdAtMs).toISOString(),
    sentAt: row.sentAtMs === null ? null : new Date(row.sentAtMs).toISOString(),
    messageId: row.messageId,
    // Account mails (mail/account.ts) concern no event and store it as ''.
    eventId: row.eventId || null,
    bookingId: row.bookingId,
    nextAttemptAt: row.status === 'pending' ? new Date(row.nextAttemptAtMs).toISOString() : null,
  };
}

export class MailOutbox {
  constructor(
    private readonly mail: MailRepository,
    private readonly idDomain: string,
  ) {}

  /** Queues messages; ones already queued (same id) are left as they are. Returns how many were new. */
  enqueue(messages: ComposedMail[]): Promise<number> {
    if (messages.length === 0) return Promise.resolve(0);
    return this.mail.enqueue(messages, (id) => messageIdFor(id, this.idDomain), Date.now());
  }

  /** The next due message, leased to `owner` for `leaseMs`; null when nothing is due. */
  claim(owner: string, leaseMs: number, nowMs = Date.now()): Promise<MailRow | null> {
    return this.mail.claim(owner, leaseMs, nowMs);
  }

  /** Records the sending of a claimed message; a code-bearing one keeps its words, its code masked (account.ts). */
  markSent(row: MailRow): Promise<boolean> {
    return this.mail.markSent(row.id, row.claimSeq, Date.now(), keptAfterSending(row) ?? undefined);
  }

  markRetry(id: string, claimSeq: number, error: string, nextAttemptAtMs: number): Promise<boolean> {
    return this.mail.markRetry(id, claimSeq, truncateText(error, MAX_ERROR_LENGTH), nextAttemptAtMs);
  }

  markDead(id: string, claimSeq: number, error: string): Promise<boolean> {
    return this.mail.markDead(id, claimSeq, truncateText(error, MAX_ERROR_LENGTH));
  }

  /** Newest first, keyset-paginated on (createdAt, id). */
  async list(query: MailListQuery): Promise<Page<MailMessage>> {
    const rows = await this.mail.list(
      query.status ? { status: query.status } : {},
      MAIL_PAGES.after(query.cursor),
      query.limit,
    );
    return MAIL_PAGES.page(rows, query.limit, toMailMessage);
  }

  summary(): Promise<MailSummary> {
    return this.mail.countByStatus();
  }

  /** A dead or discarded message gets a fresh set of tries, starting now. */
  async retry(id: string): Promise<MailMessage> {
    return toMailMessage(
      await this.mail.transition(id, ['dead', 'discarded'], {
        status: 'pending',
        nowMs: Date.now(),
        resetAttempts: true,
      }),
    );
  }

  /** An admin decides a dead (or not yet sent) message should never go out. */
  async discard(id: string): Promise<MailMessage> {
    return toMailMessage(
      await this.mail.transition(id, ['dead', 'pending'], {
        status: 'discarded',
        nowMs: Date.now(),
        resetAttempts: false,
      }),
    );
  }
}
