import { createHash } from 'node:crypto';
import { backoffMs, GatehouseError, photoEtag, routes } from '@gatehouse/protocol';
import type { ServerApi } from '../api/client';
import { PHOTOS_FILL_STATE, type AccountStore } from '../store';
import type { DuePhoto } from './rows';

/** A photo that did not come (not on the server, damaged on the way): tried again after this backoff. */
const PHOTO_RETRY = { baseMs: 5_000, capMs: 30 * 60_000, jitter: 'equal' } as const;
/** The server could not be reached or was busy: every fetch waits this backoff, not each photo its own. */
const SERVER_RETRY = { baseMs: 2_000, capMs: 5 * 60_000, jitter: 'equal' } as const;
/** Bookings looked at per chunk when entering photo rows after an initial sync (~1–10 ms each). */
const FILL_CHUNK = 1_000;
/**
 * The pause between chunks, in ms: the fill of 100,000 photo rows writes ~30 MB of WAL, and spread
 * over a few seconds the store's timed checkpoint (every 2 s) copies it in smaller pieces.
 */
const FILL_PAUSE_MS = 10;
/** Longest idle sleep without a wake-up, so a retry time that passed is never missed for long. */
const IDLE_MS = 60_000;
/** Failures that are the server's or the network's, not this photo's. */
const SERVER_WIDE = new Set([
  'OFFLINE',
  'SERVICE_UNAVAILABLE',
  'SERVER_STORAGE_FULL',
  'RATE_LIMITED',
  'UNAUTHENTICATED',
]);

export type PhotoFetcherDeps = {
  /** Whether fetching may run now: the initial sync is `ready` and the account has a server session. */
  mayRun: () => boolean;
  /** Photos of these bookings were stored (the verdict panel may show them now). */
  onStored: (bookingIds: string[]) => void;
  log: (message: string) => void;
  now?: () => number;
  /** At most this many fetches at once (default 2), so photos never crowd the sync's own requests. */
  concurrency?: number;
};

/** The photo's id as the server derives it: SHA-256 of the stored bytes, base64url (protocol images.ts). */
export function photoIdOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64url');
}

/**
 * The second phase of getting an event onto the device (#20 part 4): once the initial sync is
 * `ready`, attendees' photos are fetched in the background, `concurrency` at a time, photos of
 * tickets whose type requires one first. Each fetch names the photo held (If-None-Match), so an
 * unchanged photo costs a 304; what arrives is kept only if it hashes to the id the server gave.
 * A photo that fails waits its own backoff; an unreachable or busy server pauses all fetching
 * with one backoff (protocol/src/backoff.ts). Nothing here is on the scan's path: a verdict reads
 * what is already stored (photos/rows.ts).
 */
export class PhotoFetcher {
  private readonly inFlight = new Set<string>();
  private readonly workers: Promise<void>[] = [];
  private stopped = true;
  private wakers: Array<() => void> = [];
  private serverFailures = 0;
  private pausedUntilMs = 0;
  private readonly now: () => number;

  /** The readiness the workers were last woken for by wakeOnChange. */
  private wokenFor: string | null = null;

  constructor(
    private readonly store: AccountStore,
    private readonly api: ServerApi,
    private readonly deps: PhotoFetcherDeps,
  ) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (let i = 0; i < (this.deps.concurrency ?? 2); i++) this.workers.push(this.work());
  }

  /**
   * Wakes the workers when `readiness` (what starting them depends on: the phase, the reachability,
   * the session) differs from the last one seen here, and only then: a status is emitted around every
   * scan, push and pull, and each wake-up ran the workers' queries on the event loop ahead of the
   * push or pull of that very scan (#15, propagation). Stored bookings wake them through `wake`.
   */
  wakeOnChange(readiness: string): void {
    if (readiness === this.wokenFor) return;
    this.wokenFor = readiness;
    this.wake();
  }

  /** Something changed (a pull stored bookings, the phase moved on, the server came back): look again. */
  wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }

  /** Lets fetches in flight finish (their answers are dropped if the store closed meanwhile). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await Promise.all(this.workers.splice(0));
  }

  private async work(): Promise<void> {
    while (!this.stopped) {
      if (this.fillPending()) {
        await this.fill();
        continue;
      }
      const job = this.next();
      if (job) await this.fetch(job);
      else await this.sleep();
    }
  }

  private filling: Promise<void> | null = null;

  private fillPending(): boolean {
    return this.store.db.open && this.deps.mayRun() && this.store.state.get(PHOTOS_FILL_STATE) !== null;
  }

  /**
   * After an initial sync: enters the photo rows of the bookings it stored, a chunk at a time with
   * a pause between, so a scan never waits behind more than one chunk. One worker does it; the
   * other waits for it. Where it got to is stored, so a restart carries on.
   */
  private fill(): Promise<void> {
    this.filling ??= (async () => {
      while (!this.stopped && this.fillPending()) {
        const from = Number(this.store.state.get(PHOTOS_FILL_STATE));
        this.store.write(() =>
          this.store.photos.inTransaction(() => {
            const next = this.store.photos.fillChunk(from, FILL_CHUNK);
            this.store.state.set(PHOTOS_FILL_STATE, next === null ? null : String(next));
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, FILL_PAUSE_MS));
      }
    })().finally(() => {
      this.filling = null;
    });
    return this.filling;
  }

  private next(): DuePhoto | null {
    if (!this.deps.mayRun() || this.now() < this.pausedUntilMs || !this.store.db.open) return null;
    const due = this.store.photos.due(this.now(), this.inFlight.size + 1);
    const job = due.find((candidate) => !this.inFlight.has(candidate.bookingId)) ?? null;
    if (job) this.inFlight.add(job.bookingId);
    return job;
  }

  private sleep(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const now = this.now();
    let wait = IDLE_MS;
    if (this.pausedUntilMs > now) wait = Math.min(wait, this.pausedUntilMs - now);
    else if (this.store.db.open && this.deps.mayRun()) {
      const next = this.store.photos.nextDueAtMs();
      if (next !== null) wait = Math.min(wait, Math.max(0, next - now));
    }
    return new Promise((resolve) => {
      const timer = setTimeout(finish, Math.max(10, wait));
      timer.unref?.();
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.push(finish);
    });
  }

  private async fetch(job: DuePhoto): Promise<void> {
    try {
      const answer = await this.api.fetchBytes(
        routes['photos.booking'],
        { params: { id: job.bookingId } },
        job.storedPhotoId ? { ifNoneMatch: photoEtag(job.storedPhotoId) } : {},
      );
      this.serverFailures = 0;
      if (!this.store.db.open) return;
      if (answer === null) {
        // Taken off the booking on the server; the pull will take it off here too.
        this.later(job, 'NOT_FOUND: the server has no photo for this booking now');
        return;
      }
      if (answer.notModified) {
        // The server still has the photo held here; the booking's newer id has not reached it yet.
        this.later(job, 'the server still has the photo held here');
        return;
      }
      const bytes = Buffer.from(answer.bytes);
      const photoId = photoIdOf(bytes);
      const tag = answer.etag.replace(/^W\//, '');
      if (tag && tag !== photoEtag(photoId)) {
        this.later(job, 'the photo arrived damaged (its bytes do not match its ETag)');
        return;
      }
      this.store.write(() => this.store.photos.store(job.bookingId, photoId, answer.contentType, bytes));
      // Replaced again on the server since the booking was pulled: kept, and the pull brings its id.
      if (photoId !== job.photoId) this.later(job, 'the server has a newer photo than the booking names');
      this.deps.onStored([job.bookingId]);
    } catch (error) {
      const code = error instanceof GatehouseError ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      if (SERVER_WIDE.has(code)) {
        this.pausedUntilMs = this.now() + backoffMs(this.serverFailures++, SERVER_RETRY);
      } else if (this.store.db.open) {
        this.later(job, `${code}: ${message}`);
        this.deps.log(`photo of booking ${job.bookingId}: ${code} ${message}`);
      }
    } finally {
      this.inFlight.delete(job.bookingId);
    }
  }

  private later(job: DuePhoto, why: string): void {
    this.store.write(() =>
      this.store.photos.retryAt(job.bookingId, this.now() + backoffMs(job.attempts, PHOTO_RETRY), why),
    );
  }
}
