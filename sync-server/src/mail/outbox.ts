import {
  GatehouseError,
  MAIL_STATUSES,
  type MailListQuery,
  type MailMessage,
  type MailStatus,
  type MailSummary,
  type Page,
} from '@gatehouse/protocol';
import { MongoBulkWriteError, type Collection, type Db, type Filter } from 'mongodb';
import { isDuplicateKeyError } from '../db/mongo';
import { z } from 'zod';
import type { ComposedMail } from './compose';

/**
 * The outbox collection `mail`. Every message is recorded here before any attempt to send it;
 * its `_id` is derived from its cause, so queuing the same cause twice is a duplicate-key no-op.
 *
 * States: pending → (claimed) sending → sent | pending (retry later) | dead. A claim is a lease:
 * `leaseOwner` + `leaseUntil`, taken with one atomic findOneAndUpdate, so two server processes
 * never hold the same message; a lease that runs out (its holder died mid-send) makes the message
 * claimable again, and it is resent with the same Message-ID.
 */
export type MailRow = ComposedMail & {
  status: MailStatus;
  /** Claims so far, including one whose holder died before it could record the outcome. */
  attempts: number;
  nextAttemptAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  lastError: string | null;
  messageId: string;
  createdAt: Date;
  sentAt: Date | null;
};

const MAX_ERROR_LENGTH = 500;

/** The list cursor: the last row's (createdAt, _id). Outbox ids are longer than the shared cursor allows. */
const mailCursorSchema = z.strictObject({ t: z.number().int().min(0), id: z.string().max(200) });
type MailCursor = z.infer<typeof mailCursorSchema>;

function encodeMailCursor(key: MailCursor): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeMailCursor(cursor: string): MailCursor {
  try {
    return mailCursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new GatehouseError('CURSOR_INVALID', 'The cursor is not valid; start again without one');
  }
}

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
    id: row._id,
    kind: row.kind,
    to: row.to,
    subject: row.subject,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    sentAt: row.sentAt ? row.sentAt.toISOString() : null,
    messageId: row.messageId,
    eventId: row.eventId,
    bookingId: row.bookingId,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
  };
}

export class MailOutbox {
  readonly mail: Collection<MailRow>;

  constructor(
    db: Db,
    private readonly idDomain: string,
  ) {
    this.mail = db.collection<MailRow>('mail');
  }

  async ensureIndexes(): Promise<void> {
    await this.mail.createIndex({ status: 1, nextAttemptAt: 1 });
    await this.mail.createIndex({ status: 1, leaseUntil: 1 });
    await this.mail.createIndex({ createdAt: -1, _id: -1 });
    await this.mail.createIndex({ status: 1, createdAt: -1, _id: -1 });
  }

  /** Queues messages; ones already queued (same `_id`) are left as they are. Returns how many were new. */
  async enqueue(messages: ComposedMail[]): Promise<number> {
    if (messages.length === 0) return 0;
    const now = new Date();
    const rows: MailRow[] = messages.map((message) => ({
      ...message,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      leaseOwner: null,
      leaseUntil: null,
      lastError: null,
      messageId: messageIdFor(message._id, this.idDomain),
      createdAt: now,
      sentAt: null,
    }));
    try {
      const result = await this.mail.insertMany(rows, { ordered: false });
      return result.insertedCount;
    } catch (error) {
      if (error instanceof MongoBulkWriteError) {
        const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
        if (errors.every((writeError) => writeError.code === 11000)) return error.insertedCount;
      } else if (isDuplicateKeyError(error)) {
        return 0;
      }
      throw error;
    }
  }

  /**
   * Takes the next due message for `owner`: a pending one whose time has come, or one whose
   * previous holder's lease ran out. One atomic update, so concurrent workers never share one.
   */
  async claim(owner: string, leaseMs: number, now = new Date()): Promise<MailRow | null> {
    return this.mail.findOneAndUpdate(
      {
        $or: [
          { status: 'pending', nextAttemptAt: { $lte: now } },
          { status: 'sending', leaseUntil: { $lte: now } },
        ],
      },
      {
        $set: { status: 'sending', leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs) },
        $inc: { attempts: 1 },
      },
      { sort: { nextAttemptAt: 1 }, returnDocument: 'after' },
    );
  }

  /** Records the outcome only while `owner` still holds the lease; false when it had lost it. */
  async markSent(id: string, owner: string): Promise<boolean> {
    const result = await this.mail.updateOne(
      { _id: id, status: 'sending', leaseOwner: owner },
      { $set: { status: 'sent', sentAt: new Date(), leaseOwner: null, leaseUntil: null, lastError: null } },
    );
    return result.modifiedCount === 1;
  }

  async markRetry(id: string, owner: string, error: string, nextAttemptAt: Date): Promise<boolean> {
    const result = await this.mail.updateOne(
      { _id: id, status: 'sending', leaseOwner: owner },
      {
        $set: {
          status: 'pending',
          nextAttemptAt,
          leaseOwner: null,
          leaseUntil: null,
          lastError: error.slice(0, MAX_ERROR_LENGTH),
        },
      },
    );
    return result.modifiedCount === 1;
  }

  async markDead(id: string, owner: string, error: string): Promise<boolean> {
    const result = await this.mail.updateOne(
      { _id: id, status: 'sending', leaseOwner: owner },
      { $set: { status: 'dead', leaseOwner: null, leaseUntil: null, lastError: error.slice(0, MAX_ERROR_LENGTH) } },
    );
    return result.modifiedCount === 1;
  }

  /** Newest first, keyset-paginated on (createdAt, _id). */
  async list(query: MailListQuery): Promise<Page<MailMessage>> {
    const and: Filter<MailRow>[] = [];
    if (query.status) and.push({ status: query.status });
    if (query.cursor) {
      const key = decodeMailCursor(query.cursor);
      const at = new Date(key.t);
      and.push({ $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: key.id } }] });
    }
    const rows = await this.mail
      .find(and.length > 0 ? { $and: and } : {}, { projection: { html: 0, text: 0, ics: 0, qrToken: 0 } })
      .sort({ createdAt: -1, _id: -1 })
      .limit(query.limit + 1)
      .toArray();
    const pageRows = rows.slice(0, query.limit);
    const last = pageRows[pageRows.length - 1];
    return {
      items: pageRows.map(toMailMessage),
      nextCursor:
        rows.length > query.limit && last ? encodeMailCursor({ t: last.createdAt.getTime(), id: last._id }) : null,
    };
  }

  async summary(): Promise<MailSummary> {
    const counts = await Promise.all(MAIL_STATUSES.map((status) => this.mail.countDocuments({ status })));
    return Object.fromEntries(MAIL_STATUSES.map((status, index) => [status, counts[index]!])) as MailSummary;
  }

  /** A dead or discarded message gets a fresh set of tries, starting now. */
  async retry(id: string): Promise<MailMessage> {
    return this.transition(id, ['dead', 'discarded'], {
      status: 'pending',
      attempts: 0,
      nextAttemptAt: new Date(),
      leaseOwner: null,
      leaseUntil: null,
    });
  }

  /** An admin decides a dead (or not yet sent) message should never go out. */
  async discard(id: string): Promise<MailMessage> {
    return this.transition(id, ['dead', 'pending'], { status: 'discarded', leaseOwner: null, leaseUntil: null });
  }

  private async transition(id: string, from: MailStatus[], set: Partial<MailRow>): Promise<MailMessage> {
    const row = await this.mail.findOneAndUpdate(
      { _id: id, status: { $in: from } },
      { $set: set },
      // No projection: FerretDB's findAndModify does not support one.
      { returnDocument: 'after' },
    );
    if (row) return toMailMessage(row);
    const existing = await this.mail.findOne({ _id: id }, { projection: { status: 1 } });
    if (!existing) throw new GatehouseError('NOT_FOUND', 'No such message in the outbox');
    throw new GatehouseError(
      'CONFLICT',
      `The message is ${existing.status}; only ${from.join(' or ')} messages can be changed so`,
    );
  }
}
