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
import { ensureTtlIndex, isDuplicateKeyError } from '../db/mongo';
import { z } from 'zod';
import type { ComposedMail } from './compose';

/**
 * The outbox collection `mail`. Every message is recorded here before any attempt to send it;
 * its `_id` is derived from its cause, so queuing the same cause twice is a duplicate-key no-op.
 *
 * States: pending → (claimed) sending → sent | pending (retry later) | dead. A claim is a lease
 * (`leaseOwner` + `leaseUntil`) won by inserting `<id>#<claimSeq+1>` into `mailClaims`: a unique
 * insert has exactly one winner on MongoDB and on FerretDB alike, whereas FerretDB applies
 * concurrent findOneAndUpdates to one document without isolation (measured: ten concurrent
 * claims of one document all "succeed"). A lease that runs out (its holder died mid-send) makes
 * the message claimable again, and it is resent with the same Message-ID.
 */
export type MailRow = ComposedMail & {
  status: MailStatus;
  /** Tries so far, including one whose holder died before it could record the outcome (reset by an admin retry). */
  attempts: number;
  /** Claims ever made; never reset, so each claim has a unique id in `mailClaims`. */
  claimSeq: number;
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

type ClaimRow = { _id: string; mailId: string; owner: string; at: Date };

/** Due messages looked at per claim; others' winning claims are skipped. */
const CLAIM_CANDIDATES = 20;
/** Claims are kept long past any lease, so a stale reader can never reuse a claim id. */
const CLAIM_RETENTION_SECONDS = 30 * 24 * 3600;

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export class MailOutbox {
  readonly mail: Collection<MailRow>;
  readonly claims: Collection<ClaimRow>;

  constructor(
    db: Db,
    private readonly idDomain: string,
  ) {
    this.mail = db.collection<MailRow>('mail');
    this.claims = db.collection<ClaimRow>('mailClaims');
  }

  async ensureIndexes(): Promise<void> {
    await this.mail.createIndex({ status: 1, nextAttemptAt: 1 });
    await this.mail.createIndex({ status: 1, leaseUntil: 1 });
    await this.mail.createIndex({ createdAt: -1, _id: -1 });
    await this.mail.createIndex({ status: 1, createdAt: -1, _id: -1 });
    await ensureTtlIndex(this.claims, 'at', CLAIM_RETENTION_SECONDS);
  }

  /** Queues messages; ones already queued (same `_id`) are left as they are. Returns how many were new. */
  async enqueue(messages: ComposedMail[]): Promise<number> {
    if (messages.length === 0) return 0;
    const now = new Date();
    const rows: MailRow[] = messages.map((message) => ({
      ...message,
      status: 'pending',
      attempts: 0,
      claimSeq: 0,
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
   * previous holder's lease ran out. Returns null when nothing is due (or others won every race).
   */
  async claim(owner: string, leaseMs: number, now = new Date()): Promise<MailRow | null> {
    const candidates = await this.mail
      .find(
        {
          $or: [
            { status: 'pending', nextAttemptAt: { $lte: now } },
            { status: 'sending', leaseUntil: { $lte: now } },
          ],
        },
        { projection: { _id: 1, status: 1, claimSeq: 1, attempts: 1 } },
      )
      .sort({ nextAttemptAt: 1 })
      .limit(CLAIM_CANDIDATES)
      .toArray();
    // Shuffled, so workers scanning the same due messages mostly try different ones first.
    for (const candidate of shuffle(candidates)) {
      const claimSeq = candidate.claimSeq + 1;
      try {
        await this.claims.insertOne({ _id: `${candidate._id}#${claimSeq}`, mailId: candidate._id, owner, at: now });
      } catch (error) {
        if (isDuplicateKeyError(error)) continue; // another worker won this one
        throw error;
      }
      // The filter re-checks what we saw, so an admin's discard in between is respected.
      const row = await this.mail.findOneAndUpdate(
        { _id: candidate._id, claimSeq: candidate.claimSeq, status: candidate.status },
        {
          $set: {
            status: 'sending',
            claimSeq,
            attempts: candidate.attempts + 1,
            leaseOwner: owner,
            leaseUntil: new Date(now.getTime() + leaseMs),
          },
        },
        { returnDocument: 'after' },
      );
      if (row) return row;
    }
    return null;
  }

  /** Records the outcome only while this claim still holds the lease; false when it had lost it. */
  async markSent(id: string, claimSeq: number): Promise<boolean> {
    const result = await this.mail.updateOne(
      { _id: id, status: 'sending', claimSeq },
      { $set: { status: 'sent', sentAt: new Date(), leaseOwner: null, leaseUntil: null, lastError: null } },
    );
    return result.modifiedCount === 1;
  }

  async markRetry(id: string, claimSeq: number, error: string, nextAttemptAt: Date): Promise<boolean> {
    const result = await this.mail.updateOne(
      { _id: id, status: 'sending', claimSeq },
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

  async markDead(id: string, claimSeq: number, error: string): Promise<boolean> {
    const result = await this.mail.updateOne(
      { _id: id, status: 'sending', claimSeq },
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
