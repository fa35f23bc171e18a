import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { backoffMs } from '@gatehouse/protocol';
import type { After, Store } from '../store/port';
import type { MailHandoff } from '../store/rows';
import {
  bookingCancelledMail,
  bookingConfirmedMail,
  eventCancelledMail,
  eventChangedMail,
  prepareEvent,
  type ComposedMail,
  type PreparedEvent,
  type Recipient,
} from './compose';
import type { MailOutbox } from './outbox';

/** What the sweeper needs of the ticket service: a signed token for a booking's QR. */
export type TicketIssuer = {
  tokenFor(
    booking: { id: string; eventId: string; ticketTypeId: string },
    window: { startsAt: string; endsAt: string },
  ): Promise<string>;
};

/** Hand-offs of each kind taken per sweep. */
const HANDOFFS_PER_SWEEP = 200;
/** A hand-off that failed is passed over for this long, doubling with each failure in a row, up to the cap. */
const FAILED_RETRY_BASE_MS = 1_000;
const FAILED_RETRY_CAP_MS = 5 * 60_000;
/** Failing hand-offs remembered at most; the longest remembered is forgotten first (and simply tried again). */
const MAX_REMEMBERED_FAILURES = 1_000;

export type SweeperOptions = {
  /** Hand-offs of each kind taken per sweep (200). */
  handoffsPerSweep?: number;
  /** How long a failed hand-off is passed over at first (1 s), doubling per failure in a row up to `failedRetryCapMs` (5 min). */
  failedRetryBaseMs?: number;
  failedRetryCapMs?: number;
};

/** Bookings read (and mails queued) per step of an event-wide fan-out. */
export const FAN_OUT_PAGE = 200;

/** Stable per address: an attendee with three bookings gets one "event changed" mail, not three. */
export function recipientKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 20);
}

/** A hand-off that failed in this process: how often in a row, and when it is tried again. */
type Failure = { failures: number; retryAtMs: number };

const keyOf = (handoff: Pick<MailHandoff, 'kind' | 'rowId'>) => `${handoff.kind}:${handoff.rowId}`;

/** The revs named by items `<name>:<rev>` (`eventChanged:7`, `eventCancelled:9`). */
function revsOf(items: string[], name: string): number[] {
  const prefix = `${name}:`;
  return items
    .filter((item) => item.startsWith(prefix))
    .map((item) => Number(item.slice(prefix.length)))
    .filter((rev) => Number.isInteger(rev));
}

/**
 * Turns mail hand-offs into outbox messages. A hand-off is recorded by the store in the same write
 * as the change that deserves a mail (a booking confirmed or cancelled, an event changed or
 * cancelled). The sweeper queues the message(s) under ids derived from the cause (already queued =
 * no-op), and only then clears the hand-off. A crash at any point leaves the hand-off, the next
 * sweep (this process after restart, or any other) repeats the work, and nothing is queued twice.
 */
export class MailSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private nudged = false;
  private intervalMs = 1_000;
  private current: Promise<void> = Promise.resolve();
  /** Hand-offs that failed, by `<kind>:<rowId>`, in the order they first failed. */
  private readonly failed = new Map<string, Failure>();
  private readonly perSweep: number;
  private readonly retryBaseMs: number;
  private readonly retryCapMs: number;

  constructor(
    private readonly store: Store,
    private readonly outbox: MailOutbox,
    private readonly tickets: TicketIssuer,
    private readonly log: FastifyBaseLogger,
    /** Called after messages were queued, so the worker sends them now rather than at its next poll. */
    private readonly onQueued: () => void,
    options: SweeperOptions = {},
  ) {
    this.perSweep = options.handoffsPerSweep ?? HANDOFFS_PER_SWEEP;
    this.retryBaseMs = options.failedRetryBaseMs ?? FAILED_RETRY_BASE_MS;
    this.retryCapMs = options.failedRetryCapMs ?? FAILED_RETRY_CAP_MS;
  }

  start(intervalMs: number): void {
    if (this.running) return;
    this.running = true;
    this.intervalMs = intervalMs;
    this.current = this.tick();
  }

  /** Asks for a sweep now, e.g. right after a booking, instead of at the next interval. */
  nudge(): void {
    this.nudged = true;
    if (this.timer) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.current = this.tick();
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.nudged = false;
    let more = false;
    try {
      more = await this.sweepOnce();
    } catch (error) {
      this.log.warn({ err: error }, 'mail sweep failed; will try again');
    }
    this.schedule(more || this.nudged ? 0 : this.intervalMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current.catch(() => {});
  }

  /**
   * One bounded pass over the oldest hand-offs; true when it cleared a full sweep's worth of a
   * kind, so more may be waiting. A hand-off that fails is passed over for a while (longer each time it fails
   * again) and those behind it get their turn: hand-offs that keep failing neither hold back newer
   * ones nor make the sweeper run again at once, since only hand-offs cleared count toward `more`.
   */
  async sweepOnce(): Promise<boolean> {
    const nowMs = Date.now();
    const passedOver = [...this.failed.values()].filter((failure) => failure.retryAtMs > nowMs).length;
    // Read past the hand-offs passed over, so a full sweep's worth of others is within reach.
    const asked = this.perSweep + passedOver;
    const handoffs = await this.store.mail.handoffs(asked);
    const taken = { booking: 0, event: 0 };
    const cleared = { booking: 0, event: 0 };
    for (const handoff of handoffs) {
      const key = keyOf(handoff);
      const failure = this.failed.get(key);
      if ((failure && failure.retryAtMs > nowMs) || taken[handoff.kind] >= this.perSweep) continue;
      taken[handoff.kind] += 1;
      try {
        if (handoff.kind === 'booking') await this.sweepBooking(handoff);
        else await this.sweepEvent(handoff);
        this.failed.delete(key);
        cleared[handoff.kind] += 1;
      } catch (error) {
        const retryInMs = this.remember(key, failure, nowMs);
        this.log.warn(
          { err: error, handoff: { kind: handoff.kind, id: handoff.rowId }, retryInMs },
          'could not queue mail; will retry',
        );
      }
    }
    this.forgetGone(handoffs, asked);
    return cleared.booking >= this.perSweep || cleared.event >= this.perSweep;
  }

  /** Records another failure of the hand-off; returns how long it is passed over. */
  private remember(key: string, previous: Failure | undefined, nowMs: number): number {
    const failures = (previous?.failures ?? 0) + 1;
    const retryInMs = backoffMs(failures - 1, { baseMs: this.retryBaseMs, capMs: this.retryCapMs });
    this.failed.set(key, { failures, retryAtMs: nowMs + retryInMs });
    if (this.failed.size > MAX_REMEMBERED_FAILURES) this.failed.delete(this.failed.keys().next().value!);
    return retryInMs;
  }

  /**
   * Forgets failures of hand-offs that are gone (cleared by another process): those of a kind whose
   * every waiting hand-off was read, and is not among them.
   */
  private forgetGone(read: MailHandoff[], asked: number): void {
    if (this.failed.size === 0) return;
    for (const kind of ['booking', 'event'] as const) {
      const ofKind = read.filter((handoff) => handoff.kind === kind);
      if (ofKind.length >= asked) continue;
      const waiting = new Set(ofKind.map(keyOf));
      for (const key of this.failed.keys()) {
        if (key.startsWith(`${kind}:`) && !waiting.has(key)) this.failed.delete(key);
      }
    }
  }

  private async sweepBooking(handoff: MailHandoff): Promise<void> {
    const booking = await this.store.bookings.findById(handoff.rowId);
    const event = booking ? await this.store.events.findById(booking.eventId) : null;
    const email = booking?.attendee.email;
    const messages: ComposedMail[] = [];
    for (const item of handoff.items) {
      // A deleted event or booking, or no address: nothing to send, the hand-off just goes.
      if (!booking || !email || !event) continue;
      if (item === 'bookingConfirmed') {
        // A booking cancelled before its confirmation went out gets only the cancellation.
        if (booking.status !== 'confirmed') continue;
        const token = await this.tickets.tokenFor(
          { id: booking.id, eventId: booking.eventId, ticketTypeId: booking.ticketTypeId },
          { startsAt: event.startsAt, endsAt: event.endsAt },
        );
        messages.push(bookingConfirmedMail(event, booking, token));
      } else if (item === 'bookingCancelled') {
        messages.push(bookingCancelledMail(event, booking));
      } else {
        this.log.warn({ bookingId: handoff.rowId, item }, 'unknown mail hand-off item dropped');
      }
    }
    const queued = await this.outbox.enqueue(messages);
    await this.store.mail.clearHandoff(handoff);
    if (queued > 0) this.onQueued();
  }

  private async sweepEvent(handoff: MailHandoff): Promise<void> {
    const items = handoff.items;
    const changeRevs = revsOf(items, 'eventChanged');
    const cancelRevs = revsOf(items, 'eventCancelled');
    // `eventCancelled` without a rev: recorded before cancellations were named; still honoured.
    const unnamedCancel = items.includes('eventCancelled');
    const unknown = items.filter(
      (item) => item !== 'eventCancelled' && !item.startsWith('eventChanged:') && !item.startsWith('eventCancelled:'),
    );
    if (unknown.length > 0) this.log.warn({ eventId: handoff.rowId, unknown }, 'unknown mail hand-off items dropped');

    const event = await this.store.events.findById(handoff.rowId);
    if (event) {
      const prepared = prepareEvent(event);
      if ((cancelRevs.length > 0 || unnamedCancel) && event.status === 'cancelled') {
        // Named after the latest cancellation: cancelled again after a reinstatement is a new notice.
        const cancellation = cancelRevs.length > 0 ? Math.max(...cancelRevs) : null;
        const marker =
          cancellation === null ? `${event.id}:eventCancelled` : `${event.id}:eventCancelled:${cancellation}`;
        await this.fanOutOnce(marker, prepared, (recipient, key) =>
          eventCancelledMail(prepared, recipient, cancellation, key),
        );
      } else if (changeRevs.length > 0 && event.status !== 'cancelled') {
        // Several edits waiting: one mail with the current details, named after the latest edit.
        const change = Math.max(...changeRevs);
        await this.fanOutOnce(`${event.id}:eventChanged:${change}`, prepared, (recipient, key) =>
          eventChangedMail(prepared, recipient, change, key),
        );
      }
    }
    await this.store.mail.clearHandoff(handoff);
  }

  /**
   * A fan-out runs to its end once: a sweep that queued every message but died before clearing
   * the hand-off finds the marker next time and only clears it, instead of paging every attendee
   * again (queuing them again would be a no-op, but a slow one for a big event).
   */
  private async fanOutOnce(
    marker: string,
    prepared: PreparedEvent,
    compose: (recipient: Recipient, key: string) => ComposedMail,
  ): Promise<void> {
    if (await this.store.mail.fanOutDone(marker)) return;
    await this.fanOut(prepared, compose);
    await this.store.mail.markFanOutDone(marker, Date.now());
  }

  /**
   * Queues one message per distinct address among the event's confirmed bookings, a page at a
   * time (keyset on createdAt, id), yielding between pages so thousands of attendees never block requests.
   */
  private async fanOut(
    prepared: PreparedEvent,
    compose: (recipient: Recipient, key: string) => ComposedMail,
  ): Promise<void> {
    let after: After<string> | undefined;
    for (let pages = 0; pages < 100_000; pages++) {
      const rows = await this.store.bookings.listForEvent(
        prepared.event.id,
        { status: 'confirmed' },
        after,
        FAN_OUT_PAGE,
      );
      const page = rows.slice(0, FAN_OUT_PAGE);
      if (page.length === 0) return;
      const last = page[page.length - 1]!;
      after = { value: last.createdAt, id: last.id };
      const byKey = new Map<string, ComposedMail>();
      for (const booking of page) {
        const email = booking.attendee.email;
        if (!email) continue;
        const key = recipientKey(email);
        if (!byKey.has(key)) byKey.set(key, compose({ name: booking.attendee.name, email }, key));
      }
      if ((await this.outbox.enqueue([...byKey.values()])) > 0) this.onQueued();
      if (rows.length <= FAN_OUT_PAGE) return;
      await yieldToEventLoop();
    }
  }
}
