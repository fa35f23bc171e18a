import { ERASED_ATTENDEE_NAME } from '@gatehouse/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { ErasureInput, Store } from '../store/port';
import type { AlertRow } from '../store/rows';

/**
 * An alert's text with the attendee's name replaced by ERASED_ATTENDEE_NAME, rebuilt from the
 * alert's shape (the texts of checkins/service.ts and bookings/service.ts: "Walk-in NAME was …",
 * "… booking ID (NAME) was checked in …", "Ticket ID (NAME) entered again …"), so it works
 * without knowing the name — which a retried erasure no longer does. Texts of any other shape
 * are kept as they are.
 */
export function erasedAlertText(alert: AlertRow): string {
  const walkIn = /^Walk-in [\s\S]* was admitted beyond capacity$/;
  if (alert.kind === 'overCapacity' && walkIn.test(alert.message)) {
    return `Walk-in ${ERASED_ATTENDEE_NAME} was admitted beyond capacity`;
  }
  const id = alert.bookingId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const named = new RegExp(
    `^((?:Cancelled booking|Booking|Ticket) ${id}) \\([\\s\\S]*\\)( (?:was checked in|entered again) at gate )`,
  );
  return alert.message.replace(named, `$1 (${ERASED_ATTENDEE_NAME})$2`);
}

/** What the store writes for an erasure now. */
export function erasureInput(at: Date): ErasureInput {
  return { at: at.toISOString(), alertText: erasedAlertText };
}

/** How often the retention sweeper looks for events due (and once at start). */
export const ERASURE_SWEEP_INTERVAL_MS = 15 * 60_000;
/** Bookings erased per sweep at most: a huge event is done over several sweeps, never in one long burst. */
export const ERASURE_BATCH = 500;
/** Events looked at per sweep at most. */
const EVENTS_PER_SWEEP = 100;

export type ErasureSweeperOptions = {
  /** The clock the sweeper judges "N days after the end" by (ms since epoch); tests inject one. */
  now?: () => number;
  batch?: number;
  intervalMs?: number;
};

/**
 * The retention sweeper: erases the attendees of events whose `eraseAttendeesAfterDays` have
 * passed since they ended (EventRepository.dueForErasure), at most `batch` bookings per sweep, the
 * oldest bookings first. Each erasure is the store's one operation (BookingRepository.erase), so
 * what a sweep leaves undone the next one finishes.
 */
export class ErasureSweeper {
  private readonly now: () => number;
  private readonly batch: number;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly store: Store,
    private readonly log: Pick<FastifyBaseLogger, 'info' | 'warn'>,
    options: ErasureSweeperOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.batch = options.batch ?? ERASURE_BATCH;
    this.intervalMs = options.intervalMs ?? ERASURE_SWEEP_INTERVAL_MS;
  }

  /** One sweep; returns how many bookings it erased. */
  async sweep(): Promise<number> {
    const nowMs = this.now();
    let erased = 0;
    for (const eventId of await this.store.events.dueForErasure(nowMs, EVENTS_PER_SWEEP)) {
      const ids = await this.store.bookings.listNotErased(eventId, this.batch - erased);
      for (const id of ids) {
        const outcome = await this.store.bookings.erase(id, erasureInput(new Date(nowMs)));
        if (outcome?.changed) erased += 1;
      }
      if (erased >= this.batch) break;
    }
    if (erased > 0) this.log.info({ erased }, 'erased attendees of events past their retention');
    return erased;
  }

  start(): void {
    const tick = () => {
      this.running ??= this.sweep()
        .catch((error: unknown) => {
          this.log.warn({ err: error }, 'attendee erasure sweep failed; will try again');
          return 0;
        })
        .finally(() => (this.running = null));
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
