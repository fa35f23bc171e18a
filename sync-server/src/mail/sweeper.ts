import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Collection, Db, Filter } from 'mongodb';
import type { BookingRow } from '../bookings/rows';
import type { EventRow } from '../events/rows';
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
import type { RowLock } from '../db/keyed-lock';
import { isDuplicateKeyError } from '../db/mongo';
import type { MailOutbox } from './outbox';

/** What the sweeper needs of the ticket service: a signed token for a booking's QR. */
export type TicketIssuer = {
  tokenFor(
    booking: { id: string; eventId: string; ticketTypeId: string },
    window: { startsAt: string; endsAt: string },
  ): Promise<string>;
};

const BOOKINGS_PER_SWEEP = 200;
const EVENTS_PER_SWEEP = 10;
/** Bookings read (and mails queued) per step of an event-wide fan-out. */
export const FAN_OUT_PAGE = 200;

/** Hand-off rows: a non-empty `mailPending` (every item is a non-empty string, so `$gt: ''` finds them). */
const HAS_PENDING_MAIL = { mailPending: { $gt: '' } };

/** Stable per address: an attendee with three bookings gets one "event changed" mail, not three. */
export function recipientKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 20);
}

/**
 * Turns the `mailPending` marks that bookings and events carry into outbox messages.
 *
 * The mark is set in the same single-document write as the change that deserves a mail. The
 * sweeper queues the message(s) under ids derived from the cause (a duplicate-key insert = already
 * queued), and only then removes the mark (`$pullAll`; FerretDB ignores `$pull` with `$in`). A crash at any point leaves the mark, the next sweep
 * (this process after restart, or any other) repeats the work, and nothing is queued twice.
 * The mark is removed only if the row's `rev` is still the one read, under the row lock the change
 * log's writes take: on MongoDB `$pullAll` alone would be safe, but FerretDB rewrites whole
 * documents without isolation, and a write racing a cancellation (even one guarded by `rev`, whose
 * test and write are not atomic there) could put the booking back to confirmed.
 */
export class MailSweeper {
  private readonly bookings: Collection<BookingRow>;
  private readonly events: Collection<EventRow>;
  private readonly fanOuts: Collection<{ _id: string; at: Date }>;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private nudged = false;
  private intervalMs = 1_000;
  private current: Promise<void> = Promise.resolve();

  constructor(
    db: Db,
    private readonly outbox: MailOutbox,
    private readonly tickets: TicketIssuer,
    private readonly log: FastifyBaseLogger,
    /** Called after messages were queued, so the worker sends them now rather than at its next poll. */
    private readonly onQueued: () => void,
    private readonly rowLock: RowLock,
  ) {
    this.bookings = db.collection<BookingRow>('bookings');
    this.events = db.collection<EventRow>('events');
    this.fanOuts = db.collection<{ _id: string; at: Date }>('mailFanOuts');
  }

  async ensureIndexes(): Promise<void> {
    await this.bookings.createIndex({ mailPending: 1 });
    await this.events.createIndex({ mailPending: 1 });
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

  /** One bounded pass; true when it hit a limit and more work is waiting. */
  async sweepOnce(): Promise<boolean> {
    const bookings = await this.bookings.find(HAS_PENDING_MAIL).limit(BOOKINGS_PER_SWEEP).toArray();
    for (const booking of bookings) {
      try {
        await this.sweepBooking(booking);
      } catch (error) {
        this.log.warn({ err: error, bookingId: booking._id }, 'could not queue booking mail; will retry');
      }
    }
    const events = await this.events.find(HAS_PENDING_MAIL).limit(EVENTS_PER_SWEEP).toArray();
    for (const event of events) {
      try {
        await this.sweepEvent(event);
      } catch (error) {
        this.log.warn({ err: error, eventId: event._id }, 'could not queue event mail; will retry');
      }
    }
    return bookings.length === BOOKINGS_PER_SWEEP || events.length === EVENTS_PER_SWEEP;
  }

  private async sweepBooking(booking: BookingRow): Promise<void> {
    const items = [...booking.mailPending];
    const event = await this.events.findOne({ _id: booking.eventId });
    const email = booking.attendee.email;
    const messages: ComposedMail[] = [];
    for (const item of items) {
      if (!email || !event || event.deletedAt) continue;
      if (item === 'bookingConfirmed') {
        // A booking cancelled before its confirmation went out gets only the cancellation.
        if (booking.status !== 'confirmed') continue;
        const token = await this.tickets.tokenFor(
          { id: booking._id, eventId: booking.eventId, ticketTypeId: booking.ticketTypeId },
          { startsAt: event.startsAt, endsAt: event.endsAt },
        );
        messages.push(bookingConfirmedMail(event, booking, token));
      } else if (item === 'bookingCancelled') {
        messages.push(bookingCancelledMail(event, booking));
      } else {
        this.log.warn({ bookingId: booking._id, item }, 'unknown mail hand-off item dropped');
      }
    }
    const queued = await this.outbox.enqueue(messages);
    await this.rowLock.run(this.bookings, booking._id, () =>
      this.bookings.updateOne({ _id: booking._id, rev: booking.rev }, { $pullAll: { mailPending: items } }),
    );
    if (queued > 0) this.onQueued();
  }

  private async sweepEvent(event: EventRow): Promise<void> {
    const items = [...event.mailPending];
    const changeRevs = items
      .filter((item) => item.startsWith('eventChanged:'))
      .map((item) => Number(item.slice('eventChanged:'.length)))
      .filter((rev) => Number.isInteger(rev));
    const unknown = items.filter((item) => item !== 'eventCancelled' && !item.startsWith('eventChanged:'));
    if (unknown.length > 0) this.log.warn({ eventId: event._id, unknown }, 'unknown mail hand-off items dropped');

    if (!event.deletedAt) {
      const prepared = prepareEvent(event);
      if (items.includes('eventCancelled') && event.status === 'cancelled') {
        await this.fanOutOnce(`${event._id}:eventCancelled`, prepared, (recipient, key) =>
          eventCancelledMail(prepared, recipient, key),
        );
      } else if (changeRevs.length > 0 && event.status !== 'cancelled') {
        // Several edits waiting: one mail with the current details, named after the latest edit.
        const change = Math.max(...changeRevs);
        await this.fanOutOnce(`${event._id}:eventChanged:${change}`, prepared, (recipient, key) =>
          eventChangedMail(prepared, recipient, change, key),
        );
      }
    }
    await this.rowLock.run(this.events, event._id, () =>
      this.events.updateOne({ _id: event._id, rev: event.rev }, { $pullAll: { mailPending: items } }),
    );
  }

  /**
   * A fan-out runs to its end once: the marker lets a sweep that could not remove the hand-off
   * (the event changed meanwhile, e.g. a booking moved its counters) skip straight to removing it.
   */
  private async fanOutOnce(
    marker: string,
    prepared: PreparedEvent,
    compose: (recipient: Recipient, key: string) => ComposedMail,
  ): Promise<void> {
    if (await this.fanOuts.findOne({ _id: marker })) return;
    await this.fanOut(prepared, compose);
    try {
      await this.fanOuts.insertOne({ _id: marker, at: new Date() });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /**
   * Queues one message per distinct address among the event's confirmed bookings, a page at a
   * time (keyset on _id), yielding between pages so thousands of attendees never block requests.
   */
  private async fanOut(
    prepared: PreparedEvent,
    compose: (recipient: Recipient, key: string) => ComposedMail,
  ): Promise<void> {
    // Keyset on (createdAt, _id): the order of the bookings' own (eventId, createdAt, _id) index.
    let after: { createdAt: string; id: string } | null = null;
    for (let pages = 0; pages < 100_000; pages++) {
      const filter: Filter<BookingRow> = { eventId: prepared.event._id };
      if (after) {
        filter.$or = [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, _id: { $gt: after.id } }];
      }
      const page = await this.bookings
        .find(filter, { projection: { _id: 1, attendee: 1, status: 1, createdAt: 1 } })
        .sort({ createdAt: 1, _id: 1 })
        .limit(FAN_OUT_PAGE)
        .toArray();
      if (page.length === 0) return;
      const last = page[page.length - 1]!;
      after = { createdAt: last.createdAt, id: last._id };
      const byKey = new Map<string, ComposedMail>();
      for (const booking of page) {
        const email = booking.attendee?.email;
        if (!email || booking.status !== 'confirmed') continue;
        const key = recipientKey(email);
        if (!byKey.has(key)) byKey.set(key, compose({ name: booking.attendee.name, email }, key));
      }
      if ((await this.outbox.enqueue([...byKey.values()])) > 0) this.onQueued();
      if (page.length < FAN_OUT_PAGE) return;
      await yieldToEventLoop();
    }
  }
}
