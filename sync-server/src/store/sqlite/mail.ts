import { MAIL_STATUSES, type MailKind, type MailStatus } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { storeErrors } from '../errors';
import type { MailRepository } from '../port';
import type { ComposedMailRow, MailRow } from '../rows';
import type { SqliteDatabase } from './database';
import type { Handoffs } from './handoffs';
import { pageLimit } from './sql';

export type MailRecord = {
  id: string;
  kind: MailKind;
  to_address: string;
  to_name: string;
  subject: string;
  html: string;
  text: string;
  ics: string | null;
  qr_token: string | null;
  event_id: string;
  booking_id: string | null;
  status: MailStatus;
  attempts: number;
  claim_seq: number;
  next_attempt_at_ms: number;
  lease_owner: string | null;
  lease_until_ms: number | null;
  last_error: string | null;
  message_id: string;
  created_at_ms: number;
  sent_at_ms: number | null;
};

export function toMailRow(record: MailRecord): MailRow {
  return {
    id: record.id,
    kind: record.kind,
    to: record.to_address,
    toName: record.to_name,
    subject: record.subject,
    html: record.html,
    text: record.text,
    ics: record.ics,
    qrToken: record.qr_token,
    eventId: record.event_id,
    bookingId: record.booking_id,
    status: record.status,
    attempts: record.attempts,
    claimSeq: record.claim_seq,
    nextAttemptAtMs: record.next_attempt_at_ms,
    leaseOwner: record.lease_owner,
    leaseUntilMs: record.lease_until_ms,
    lastError: record.last_error,
    messageId: record.message_id,
    createdAtMs: record.created_at_ms,
    sentAtMs: record.sent_at_ms,
  };
}

type ListParams = { status: string | null; afterValue: number | null; afterId: string | null; limit: number };

/** The outbox, its hand-offs and fan-out markers. Not logged: devices never see mail. */
export class SqliteMail {
  private readonly insertRow: Database.Statement<MailRecord>;
  private readonly erasedBooking: Database.Statement<[string], { found: number }>;
  private readonly byId: Database.Statement<[string], MailRecord>;
  private readonly duePending: Database.Statement<[number], { id: string; due: number }>;
  private readonly expiredLease: Database.Statement<[number], { id: string; due: number }>;
  private readonly lease: Database.Statement<{ id: string; owner: string; until: number }, MailRecord>;
  private readonly sent: Database.Statement<{
    id: string;
    claimSeq: number;
    now: number;
    keptHtml: string | null;
    keptText: string | null;
  }>;
  private readonly retry: Database.Statement<{ id: string; claimSeq: number; error: string; next: number }>;
  private readonly dead: Database.Statement<{ id: string; claimSeq: number; error: string }>;
  private readonly lists: Record<
    'all' | 'allAfter' | 'status' | 'statusAfter',
    Database.Statement<ListParams, MailRecord>
  >;
  private readonly counts: Database.Statement<[], { status: MailStatus; n: number }>;
  private readonly move: Database.Statement<
    { id: string; status: string; next: number | null; resetAttempts: 0 | 1 },
    MailRecord
  >;
  private readonly fanOutFound: Database.Statement<[string], { found: number }>;
  private readonly fanOutMark: Database.Statement<[string, number]>;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly handoffs: Handoffs,
  ) {
    const { db } = database;
    this.erasedBooking = db.prepare('SELECT 1 AS found FROM bookings WHERE id = ? AND erased_at IS NOT NULL');
    this.insertRow = db.prepare(
      `INSERT INTO mail (id, kind, to_address, to_name, subject, html, text, ics, qr_token, event_id, booking_id,
         status, attempts, claim_seq, next_attempt_at_ms, lease_owner, lease_until_ms, last_error, message_id,
         created_at_ms, sent_at_ms)
       VALUES (@id, @kind, @to_address, @to_name, @subject, @html, @text, @ics, @qr_token, @event_id, @booking_id,
         @status, @attempts, @claim_seq, @next_attempt_at_ms, @lease_owner, @lease_until_ms, @last_error, @message_id,
         @created_at_ms, @sent_at_ms)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.byId = db.prepare('SELECT * FROM mail WHERE id = ?');
    // Two index seeks rather than one OR: each side reads the front of (status, next_attempt_at_ms).
    this.duePending = db.prepare(
      `SELECT id, next_attempt_at_ms AS due FROM mail WHERE status = 'pending' AND next_attempt_at_ms <= ?
       ORDER BY next_attempt_at_ms LIMIT 1`,
    );
    this.expiredLease = db.prepare(
      `SELECT id, next_attempt_at_ms AS due FROM mail WHERE status = 'sending' AND lease_until_ms <= ?
       ORDER BY next_attempt_at_ms LIMIT 1`,
    );
    this.lease = db.prepare(
      `UPDATE mail SET status = 'sending', attempts = attempts + 1, claim_seq = claim_seq + 1,
         lease_owner = @owner, lease_until_ms = @until
       WHERE id = @id RETURNING *`,
    );
    const held = `id = @id AND status = 'sending' AND claim_seq = @claimSeq`;
    this.sent = db.prepare(
      `UPDATE mail SET status = 'sent', sent_at_ms = @now, lease_owner = NULL, lease_until_ms = NULL, last_error = NULL,
         html = coalesce(@keptHtml, html), text = coalesce(@keptText, text)
       WHERE ${held}`,
    );
    this.retry = db.prepare(
      `UPDATE mail SET status = 'pending', next_attempt_at_ms = @next, lease_owner = NULL, lease_until_ms = NULL,
         last_error = @error
       WHERE ${held}`,
    );
    this.dead = db.prepare(
      `UPDATE mail SET status = 'dead', lease_owner = NULL, lease_until_ms = NULL, last_error = @error WHERE ${held}`,
    );
    const order = 'ORDER BY created_at_ms DESC, id DESC LIMIT @limit';
    const after = '(created_at_ms, id) < (@afterValue, @afterId)';
    this.lists = {
      all: db.prepare(`SELECT * FROM mail WHERE @status IS NULL AND @afterValue IS NULL ${order}`),
      allAfter: db.prepare(`SELECT * FROM mail WHERE @status IS NULL AND ${after} ${order}`),
      status: db.prepare(`SELECT * FROM mail WHERE status = @status AND @afterValue IS NULL ${order}`),
      statusAfter: db.prepare(`SELECT * FROM mail WHERE status = @status AND ${after} ${order}`),
    };
    this.counts = db.prepare('SELECT status, count(*) AS n FROM mail GROUP BY status');
    this.move = db.prepare(
      `UPDATE mail SET status = @status, lease_owner = NULL, lease_until_ms = NULL,
         next_attempt_at_ms = coalesce(@next, next_attempt_at_ms),
         attempts = CASE WHEN @resetAttempts = 1 THEN 0 ELSE attempts END
       WHERE id = @id RETURNING *`,
    );
    this.fanOutFound = db.prepare('SELECT 1 AS found FROM mail_fan_outs WHERE marker = ?');
    this.fanOutMark = db.prepare(
      'INSERT INTO mail_fan_outs (marker, at_ms) VALUES (?, ?) ON CONFLICT (marker) DO NOTHING',
    );
  }

  enqueue(messages: ComposedMailRow[], messageIdOf: (id: string) => string, nowMs: number): number {
    let added = 0;
    for (const message of messages) {
      // Composed from a booking read before its erasure committed: in this transaction it is erased.
      if (message.bookingId !== null && this.erasedBooking.get(message.bookingId)) continue;
      added += this.insertRow.run({
        id: message.id,
        kind: message.kind,
        to_address: message.to,
        to_name: message.toName,
        subject: message.subject,
        html: message.html,
        text: message.text,
        ics: message.ics,
        qr_token: message.qrToken,
        event_id: message.eventId,
        booking_id: message.bookingId,
        status: 'pending',
        attempts: 0,
        claim_seq: 0,
        next_attempt_at_ms: nowMs,
        lease_owner: null,
        lease_until_ms: null,
        last_error: null,
        message_id: messageIdOf(message.id),
        created_at_ms: nowMs,
        sent_at_ms: null,
      }).changes;
    }
    return added;
  }

  /** The oldest due message (by next attempt), pending or with a lapsed lease, leased in one transaction. */
  claim(owner: string, leaseMs: number, nowMs: number): MailRow | null {
    const pending = this.duePending.get(nowMs);
    const lapsed = this.expiredLease.get(nowMs);
    const next = pending && lapsed ? (lapsed.due < pending.due ? lapsed : pending) : (pending ?? lapsed);
    if (!next) return null;
    return toMailRow(this.lease.get({ id: next.id, owner, until: nowMs + leaseMs })!);
  }

  transition(
    id: string,
    from: MailStatus[],
    to: { status: 'pending' | 'discarded'; nowMs: number; resetAttempts: boolean },
  ): MailRow {
    const current = this.byId.get(id);
    if (!current) throw storeErrors.mailNotFound();
    if (!from.includes(current.status)) throw storeErrors.mailWrongStatus(current.status, from);
    return toMailRow(
      this.move.get({
        id,
        status: to.status,
        next: to.status === 'pending' ? to.nowMs : null,
        resetAttempts: to.resetAttempts ? 1 : 0,
      })!,
    );
  }

  repository(): MailRepository {
    const { database } = this;
    return {
      enqueue: (messages, messageIdOf, nowMs) =>
        messages.length === 0 ? Promise.resolve(0) : database.write(() => this.enqueue(messages, messageIdOf, nowMs)),
      claim: (owner, leaseMs, nowMs) => database.write(() => this.claim(owner, leaseMs, nowMs)),
      markSent: (id, claimSeq, nowMs, keptBody) =>
        database.write(
          () =>
            this.sent.run({
              id,
              claimSeq,
              now: nowMs,
              keptHtml: keptBody?.html ?? null,
              keptText: keptBody?.text ?? null,
            }).changes === 1,
        ),
      markRetry: (id, claimSeq, error, nextAttemptAtMs) =>
        database.write(() => this.retry.run({ id, claimSeq, error, next: nextAttemptAtMs }).changes === 1),
      markDead: (id, claimSeq, error) => database.write(() => this.dead.run({ id, claimSeq, error }).changes === 1),
      list: (filter, after, limit) =>
        database.read(() => {
          const statement = filter.status
            ? after
              ? this.lists.statusAfter
              : this.lists.status
            : after
              ? this.lists.allAfter
              : this.lists.all;
          return statement
            .all({
              status: filter.status ?? null,
              afterValue: after?.value ?? null,
              afterId: after?.id ?? null,
              limit: pageLimit(limit),
            })
            .map(toMailRow);
        }),
      countByStatus: () =>
        database.read(() => {
          const counts = Object.fromEntries(MAIL_STATUSES.map((status) => [status, 0])) as Record<MailStatus, number>;
          for (const row of this.counts.all()) counts[row.status] = row.n;
          return counts;
        }),
      transition: (id, from, to) => database.write(() => this.transition(id, from, to)),
      handoffs: (limit) => database.read(() => this.handoffs.list(limit)),
      clearHandoff: (handoff) => database.write(() => this.handoffs.clear(handoff)),
      fanOutDone: (marker) => database.read(() => this.fanOutFound.get(marker) !== undefined),
      markFanOutDone: (marker, nowMs) => database.write(() => void this.fanOutMark.run(marker, nowMs)),
    };
  }
}
