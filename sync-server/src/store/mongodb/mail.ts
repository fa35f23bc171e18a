import { MAIL_STATUSES, type MailStatus, truncateText } from '@gatehouse/protocol';
import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { storeErrors } from '../errors';
import type { After, MailBody, MailListFilter, MailRepository } from '../port';
import type { ComposedMailRow, MailHandoff, MailRow } from '../rows';
import { updateWhere, type Condition } from './conditional';
import type { StoreContext } from './context';
import { COLLECTIONS, type BookingDoc, type EventDoc } from './documents';
import { isDuplicateKeyError } from './errors';
import { afterKey, findByIds } from './queries';
import { writeErrorsOf } from './batching';

/** An outbox message as stored: instants as Dates (the layout the outbox has always had). */
type MailDoc = Omit<ComposedMailRow, 'id'> & {
  _id: string;
  status: MailStatus;
  attempts: number;
  claimSeq: number;
  nextAttemptAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  lastError: string | null;
  messageId: string;
  createdAt: Date;
  sentAt: Date | null;
};

/** A claim of one message's lease, by unique `_id` `<mailId>#<claimSeq>` (where updates are not isolated). */
type ClaimDoc = { _id: string; mailId: string; owner: string; at: Date };
type FanOutDoc = { _id: string; at: Date };

const MAX_ERROR_LENGTH = 500;
/** Due messages looked at per claim; others' winning claims are skipped. */
const CLAIM_CANDIDATES = 20;
/** Hand-off rows: a non-empty `mailPending` (every item is a non-empty string, so `$gt: ''` finds them). */
const HAS_PENDING_MAIL = { mailPending: { $gt: '' } };
/** A row whose hand-off is cleared to empty. */
const NOTHING_PENDING: Condition<BookingDoc | EventDoc> = {
  filter: { mailPending: { $size: 0 } },
  holds: (doc) => doc.mailPending.length === 0,
};

function toRow(doc: MailDoc): MailRow {
  return {
    id: doc._id,
    kind: doc.kind,
    to: doc.to,
    toName: doc.toName,
    subject: doc.subject,
    html: doc.html,
    text: doc.text,
    ics: doc.ics ?? null,
    qrToken: doc.qrToken ?? null,
    eventId: doc.eventId,
    bookingId: doc.bookingId ?? null,
    status: doc.status,
    attempts: doc.attempts,
    claimSeq: doc.claimSeq,
    nextAttemptAtMs: doc.nextAttemptAt.getTime(),
    leaseOwner: doc.leaseOwner ?? null,
    leaseUntilMs: doc.leaseUntil ? doc.leaseUntil.getTime() : null,
    lastError: doc.lastError ?? null,
    messageId: doc.messageId,
    createdAtMs: doc.createdAt.getTime(),
    sentAtMs: doc.sentAt ? doc.sentAt.getTime() : null,
  };
}

/** The claim a lease outcome needs: still `sending` under this claim. */
function holdsLease(claimSeq: number): Condition<MailDoc> {
  return {
    filter: { status: 'sending', claimSeq },
    holds: (doc) => doc.status === 'sending' && doc.claimSeq === claimSeq,
  };
}

/**
 * The outbox (`mail`), the hand-off marks it is fed from (`mailPending` on bookings and events),
 * and the markers of event-wide fan-outs. A message's id derives from its cause, so queuing the
 * same cause twice is a duplicate-key no-op. A claim is a lease (`leaseOwner` + `leaseUntil`); a
 * lease that runs out (its holder died mid-send) makes the message claimable again.
 */
export class MongoMail implements MailRepository {
  private readonly mail: Collection<MailDoc>;
  private readonly claims: Collection<ClaimDoc>;
  private readonly fanOuts: Collection<FanOutDoc>;
  private readonly bookings: Collection<BookingDoc>;
  private readonly events: Collection<EventDoc>;

  constructor(private readonly context: StoreContext) {
    this.mail = context.db.collection<MailDoc>(COLLECTIONS.mail);
    this.claims = context.db.collection<ClaimDoc>(COLLECTIONS.mailClaims);
    this.fanOuts = context.db.collection<FanOutDoc>(COLLECTIONS.mailFanOuts);
    this.bookings = context.db.collection<BookingDoc>(COLLECTIONS.bookings);
    this.events = context.db.collection<EventDoc>(COLLECTIONS.events);
  }

  async enqueue(messages: ComposedMailRow[], messageIdOf: (id: string) => string, nowMs: number): Promise<number> {
    if (messages.length === 0) return 0;
    const now = new Date(nowMs);
    // Composed from a booking read before its erasure: not queued (an erasure that lands between
    // this read and the insert scrubs the message when it is repeated; see MongoErasure).
    const bookingIds = [...new Set(messages.map((message) => message.bookingId).filter((id) => id !== null))];
    const erased = new Set(
      (await findByIds(this.bookings, bookingIds, this.context.capabilities))
        .filter((doc) => typeof doc.erasedAt === 'string')
        .map((doc) => doc._id),
    );
    const kept = messages.filter((message) => message.bookingId === null || !erased.has(message.bookingId));
    if (kept.length === 0) return 0;
    const docs: MailDoc[] = kept.map(({ id, ...message }) => ({
      ...message,
      _id: id,
      status: 'pending',
      attempts: 0,
      claimSeq: 0,
      nextAttemptAt: now,
      leaseOwner: null,
      leaseUntil: null,
      lastError: null,
      messageId: messageIdOf(id),
      createdAt: now,
      sentAt: null,
    }));
    try {
      const result = await this.mail.insertMany(docs, { ordered: false });
      return result.insertedCount;
    } catch (error) {
      const failures = writeErrorsOf(error);
      if (failures && failures.length > 0 && failures.every((failure) => failure.code === 11000)) {
        return docs.length - failures.length;
      }
      if (!failures && isDuplicateKeyError(error)) return 0;
      throw error;
    }
  }

  /**
   * Two workers never hold one message at once. Where updates are isolated the conditional
   * update (`claimSeq` and `status` as seen) is the claim. Elsewhere (FerretDB applies concurrent
   * findOneAndUpdates of one document without isolation: ten concurrent claims all "succeeded")
   * the claim is a unique insert of `<id>#<claimSeq+1>` into `mailClaims`, and the update after
   * it re-checks what was seen, so an admin's discard in between is respected.
   */
  async claim(owner: string, leaseMs: number, nowMs: number): Promise<MailRow | null> {
    const now = new Date(nowMs);
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
      .sort({ nextAttemptAt: 1, _id: 1 })
      .limit(CLAIM_CANDIDATES)
      .toArray();
    // Oldest first; a worker that loses one to another moves on to the next.
    for (const candidate of candidates) {
      const claimSeq = candidate.claimSeq + 1;
      if (!this.context.capabilities.isolatedUpdates) {
        try {
          await this.claims.insertOne({ _id: `${candidate._id}#${claimSeq}`, mailId: candidate._id, owner, at: now });
        } catch (error) {
          if (isDuplicateKeyError(error)) continue; // another worker won this one
          throw error;
        }
      }
      const seen: Condition<MailDoc> = {
        filter: { claimSeq: candidate.claimSeq, status: candidate.status },
        holds: (doc) => doc.claimSeq === candidate.claimSeq && doc.status === candidate.status,
      };
      const row = await updateWhere(this.context, this.mail, candidate._id, seen, {
        $set: {
          status: 'sending',
          claimSeq,
          attempts: candidate.attempts + 1,
          leaseOwner: owner,
          leaseUntil: new Date(nowMs + leaseMs),
        },
      });
      if (row) return toRow(row);
    }
    return null;
  }

  async markSent(id: string, claimSeq: number, nowMs: number, keptBody?: MailBody): Promise<boolean> {
    return this.outcome(id, claimSeq, {
      $set: {
        status: 'sent',
        sentAt: new Date(nowMs),
        leaseOwner: null,
        leaseUntil: null,
        lastError: null,
        ...(keptBody ? { html: keptBody.html, text: keptBody.text } : {}),
      },
    });
  }

  async markRetry(id: string, claimSeq: number, error: string, nextAttemptAtMs: number): Promise<boolean> {
    return this.outcome(id, claimSeq, {
      $set: {
        status: 'pending',
        nextAttemptAt: new Date(nextAttemptAtMs),
        leaseOwner: null,
        leaseUntil: null,
        lastError: truncateText(error, MAX_ERROR_LENGTH),
      },
    });
  }

  async markDead(id: string, claimSeq: number, error: string): Promise<boolean> {
    return this.outcome(id, claimSeq, {
      $set: { status: 'dead', leaseOwner: null, leaseUntil: null, lastError: truncateText(error, MAX_ERROR_LENGTH) },
    });
  }

  private async outcome(id: string, claimSeq: number, update: UpdateFilter<MailDoc>): Promise<boolean> {
    return (await updateWhere(this.context, this.mail, id, holdsLease(claimSeq), update)) !== null;
  }

  async list(filter: MailListFilter, after: After<number> | undefined, limit: number): Promise<MailRow[]> {
    const and: Filter<MailDoc>[] = [];
    if (filter.status) and.push({ status: filter.status });
    if (after) and.push(afterKey<MailDoc>('createdAt', -1, after, (value) => new Date(Number(value))));
    const docs = await this.mail
      .find(and.length > 0 ? { $and: and } : {})
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit + 1)
      .toArray();
    return docs.map(toRow);
  }

  async countByStatus(): Promise<Record<MailStatus, number>> {
    const counts = await Promise.all(MAIL_STATUSES.map((status) => this.mail.countDocuments({ status })));
    return Object.fromEntries(MAIL_STATUSES.map((status, index) => [status, counts[index]!])) as Record<
      MailStatus,
      number
    >;
  }

  async transition(
    id: string,
    from: MailStatus[],
    to: { status: 'pending' | 'discarded'; nowMs: number; resetAttempts: boolean },
  ): Promise<MailRow> {
    const set: Partial<MailDoc> = { status: to.status, leaseOwner: null, leaseUntil: null };
    if (to.status === 'pending') set.nextAttemptAt = new Date(to.nowMs);
    if (to.resetAttempts) set.attempts = 0;
    const inFrom: Condition<MailDoc> = {
      filter: { status: { $in: from } },
      holds: (doc) => from.includes(doc.status),
    };
    const row = await updateWhere(this.context, this.mail, id, inFrom, { $set: set });
    if (row) return toRow(row);
    const existing = await this.mail.findOne({ _id: id }, { projection: { status: 1 } });
    if (!existing) throw storeErrors.mailNotFound();
    throw storeErrors.mailWrongStatus(existing.status, from);
  }

  /**
   * Oldest first, by when each hand-off was first recorded (`mailSince`), not by row id: hand-offs
   * that keep failing must not sort ahead of newer ones for good. The rows with pending mail are
   * found by the `mailPending` index and sorted in memory: they are few, being cleared as they come.
   */
  async handoffs(limit: number): Promise<MailHandoff[]> {
    const projection = { _id: 1, rev: 1, mailPending: 1, mailRev: 1 };
    const oldest = { mailSince: 1, _id: 1 } as const;
    const bookings = await this.bookings.find(HAS_PENDING_MAIL, { projection }).sort(oldest).limit(limit).toArray();
    const events = await this.events.find(HAS_PENDING_MAIL, { projection }).sort(oldest).limit(limit).toArray();
    const handoff = (kind: MailHandoff['kind'], doc: BookingDoc | EventDoc): MailHandoff => ({
      kind,
      rowId: doc._id,
      items: [...doc.mailPending],
      rev: doc.mailRev ?? doc.rev ?? 0,
    });
    return [...bookings.map((doc) => handoff('booking', doc)), ...events.map((doc) => handoff('event', doc))];
  }

  /**
   * `$pullAll` of the hand-off's items (FerretDB ignores `$pull` with `$in`): items added since
   * stay, whatever the row's rev is now. Where updates are not isolated (FerretDB rewrites whole
   * documents) it runs under the row lock the change log's writes take, so a removal cannot
   * rewrite the row from a copy read before this process's cancel and put it back to confirmed.
   * A hand-off cleared to empty loses its age, so mail owed later is recorded anew (at the back);
   * should an item arrive between the two writes, it is left without an age and sorts first.
   */
  async clearHandoff(handoff: MailHandoff): Promise<void> {
    const collection = (handoff.kind === 'booking' ? this.bookings : this.events) as unknown as Collection<
      BookingDoc | EventDoc
    >;
    const after = await updateWhere(this.context, collection, handoff.rowId, null, {
      $pullAll: { mailPending: handoff.items },
    });
    if (after && after.mailPending.length === 0 && after.mailSince !== undefined) {
      await updateWhere(this.context, collection, handoff.rowId, NOTHING_PENDING, { $unset: { mailSince: '' } });
    }
  }

  async fanOutDone(marker: string): Promise<boolean> {
    return (await this.fanOuts.findOne({ _id: marker })) !== null;
  }

  async markFanOutDone(marker: string, nowMs: number): Promise<void> {
    try {
      await this.fanOuts.insertOne({ _id: marker, at: new Date(nowMs) });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}
