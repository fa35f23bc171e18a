import { GatehouseError, pullResponseSchema, routes } from '@gatehouse/protocol';
import { z } from 'zod';
import type { ServerApi } from '../api/client';
import { type AccountStore, ChangeCollector, type DataChange, type PullPage } from '../store';
import type { EngineHooks, EngineOptions, EngineStatus } from './engine-types';
import { LiveConnection } from './live';
import { PullPacer } from './pull-pacer';
import { PushReadAhead } from './push-read-ahead';
import { type InFlightPush, PushSender } from './push-sender';

export type { EngineHooks, EngineOptions, EngineStatus } from './engine-types';

/** A pull answer with its changes left for the store to check one by one as it stores them. */
const pullPageSchema = pullResponseSchema.extend({ changes: z.array(z.unknown()) });

/**
 * Longest a pull may hold the database in one go once the account can scan: a page is stored in
 * slices of about this long, with the event loop (scans) in between.
 */
const SLICE_MS = 2;

type Lane = 'push' | 'pull';
/** A page, how many push answers had been applied when it was asked for, and when (performance.now()). */
type Fetched = { page: PullPage; answersAsked: number; askedAt: number };
type LaneState = { wanted: boolean; running: Promise<void> | null };

/**
 * Longest a pull asked for while a push is in flight waits for that push to finish. The push's own
 * changes come back in the pull it asks for afterwards, so a device pushing a backlog neither pulls
 * its own check-ins back page by page beside the push (which doubled its work and the server's) nor
 * holds off another device's scans for longer than this.
 */
const PULL_HOLD_MAX_MS = 1_000;

/** Upper bound on round trips in one pull or push, so a misbehaving server can never spin the engine. */
const MAX_ROUND_TRIPS = 100_000;
const CONNECTED_POLL_FACTOR = 6;

/**
 * Moves data between the account store and the server: pushes the outbox in order, pulls pages
 * (rows and cursor in one transaction), listens for pokes. Two lanes, each single-flight: pushes
 * one after another, pulls one after another, a push and a pull side by side. A local write asks
 * for a push at once (and a pull after it, for the server's version of what it changed); a poke
 * asks for a pull at once, or, while a push is on the wire, once it is answered (at most
 * PULL_HOLD_MAX_MS later: the poke is most likely that push's own echo). A request that arrives while its lane
 * is busy is coalesced into the lane's next round. Nothing waits on a timer: an idle lane starts
 * on the next turn of the event loop, so the writes of one task go in one push — except a pull
 * under a stream of others' changes, paced to one round per STREAM_PULL_INTERVAL_MS.
 */
export class SyncEngine {
  readonly status: EngineStatus = { liveConnected: false, lastError: null, lastErrorCode: null, progress: null };
  private readonly lanes: Record<Lane, LaneState> = {
    push: { wanted: false, running: null },
    pull: { wanted: false, running: null },
  };
  /** Set by requestSync: when the push lane goes idle, a pull follows. */
  private pullAfterPush = false;
  /** Counts push answers applied; a pull rebuilds applied rows only if none landed after it asked (see pull). */
  private pushAnswers = 0;
  private kicked = false;
  /** Runs out PULL_HOLD_MAX_MS after a pull was first held back, should the push take that long. */
  private holdTimer: NodeJS.Timeout | null = null;
  /** The hold ran out: the pull starts beside the push. */
  private holdExpired = false;
  /** Under a stream of others' changes, pulls go at most once per STREAM_PULL_INTERVAL_MS. */
  private readonly pacer = new PullPacer();
  private stopped = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly live: LiveConnection | null;
  private readonly pushSender: PushSender;

  constructor(
    private readonly store: AccountStore,
    private readonly api: ServerApi,
    private readonly options: EngineOptions,
    private readonly hooks: EngineHooks,
    deviceId: string,
    accessToken: () => string | null,
  ) {
    this.live =
      options.live && options.auto
        ? new LiveConnection({
            url: `${api.serverUrl.replace(/^http/, 'ws')}/sync/live`,
            deviceId,
            accessToken: async () => {
              if (!accessToken()) await api.refresh();
              return accessToken();
            },
            refresh: () => api.refresh(),
            onPoke: () => this.requestPull(),
            onConnected: (connected) => {
              this.status.liveConnected = connected;
              this.schedulePoll();
              this.hooks.onStatus();
            },
            WebSocketImpl: options.WebSocketImpl,
            log: options.log,
          })
        : null;
    this.pushSender = new PushSender(store, api);
  }

  start(): void {
    this.stopped = false;
    if (!this.options.auto) return;
    this.live?.start();
    this.schedulePoll();
    this.requestSync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.live?.stop();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.pacer.stop();
    await Promise.all([
      this.lanes.push.running?.catch(() => undefined),
      this.lanes.pull.running?.catch(() => undefined),
    ]);
  }

  private schedulePoll(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    if (this.stopped || !this.options.auto || this.options.pollMs <= 0) return;
    const interval = this.status.liveConnected ? this.options.pollMs * CONNECTED_POLL_FACTOR : this.options.pollMs;
    this.pollTimer = setTimeout(() => {
      this.requestSync();
      this.schedulePoll();
    }, interval);
  }

  /** A local write landed (or a poll): push what is queued, then pull. */
  requestSync(): void {
    if (this.stopped || !this.options.auto) return;
    this.lanes.push.wanted = true;
    this.pullAfterPush = true;
    this.kick();
  }

  /** The server has something new (a poke): pull now, or once the push in flight is answered (PULL_HOLD_MAX_MS). */
  requestPull(): void {
    if (this.stopped || !this.options.auto) return;
    this.lanes.pull.wanted = true;
    this.kick();
  }

  /**
   * Starts idle lanes that have work. setImmediate is not a delay: it runs once the current task is
   * done (a scan's answer goes out first), and everything that task wrote goes in the one push.
   */
  private kick(): void {
    if (this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      if (this.stopped) return;
      for (const lane of ['push', 'pull'] as const) {
        const state = this.lanes[lane];
        if (!state.wanted || state.running || (lane === 'pull' && this.holdPull())) continue;
        void this.run(lane).catch(() => undefined);
      }
    });
  }

  /** Whether a wanted pull waits for the push in flight (kicked again when the push ends or the hold runs out). */
  private holdPull(): boolean {
    if (this.lanes.push.running && !this.holdExpired) {
      this.holdTimer ??= setTimeout(() => {
        this.holdTimer = null;
        this.holdExpired = true;
        this.kick();
      }, PULL_HOLD_MAX_MS);
      return true;
    }
    this.holdExpired = false;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    return false;
  }

  /** Resolves when neither a push nor a pull is in flight (background work waits for this). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [this.lanes.push.running, this.lanes.pull.running].filter((lane) => lane !== null);
      if (running.length === 0 || this.stopped) return;
      await Promise.all(running.map((lane) => lane.catch(() => undefined)));
    }
  }

  /** Pushes everything queued, then pulls until caught up; rejects with the first error. */
  async syncNow(): Promise<void> {
    this.lanes.push.wanted = true;
    await this.drain('push');
    this.lanes.pull.wanted = true;
    await this.drain('pull');
  }

  /** Until the lane has served every request made so far (joining the round in flight, if any). */
  private async drain(lane: Lane): Promise<void> {
    const state = this.lanes[lane];
    while (!this.stopped && (state.wanted || state.running)) await (state.running ?? this.run(lane));
  }

  /**
   * One lane's worker: rounds while its request flag is set. A round clears the flag when it reads
   * the outbox or asks for a page, so a request made after that point is left for another round.
   * `running` is cleared in the same synchronous step as the last check of the flag.
   */
  private run(lane: Lane): Promise<void> {
    const state = this.lanes[lane];
    const round = lane === 'push' ? () => this.push() : () => this.pull();
    const running = (async () => {
      await undefined; // `running` is assigned before the loop can finish
      try {
        while (!this.stopped && state.wanted) await round();
        this.status.lastError = null;
        this.status.lastErrorCode = null;
      } catch (error) {
        // Served, with an error: the next write, poke or poll tries again.
        state.wanted = false;
        this.status.lastError = error instanceof Error ? error.message : String(error);
        this.status.lastErrorCode = error instanceof GatehouseError ? error.code : null;
        throw error;
      } finally {
        state.running = null;
        if (lane === 'pull') this.status.progress = null;
        if (lane === 'push' && this.pullAfterPush && !this.stopped) {
          this.pullAfterPush = false;
          this.requestPull();
        } else if (lane === 'push' && this.lanes.pull.wanted) {
          this.kick(); // a pull held back during the push (holdPull)
        }
        this.hooks.onStatus();
      }
    })();
    state.running = running;
    return running;
  }

  /**
   * Pushes the outbox in order, a batch at a time. Once a batch is answered in full, the next one is
   * sent before this answer is stored: the server applied every mutation of the first before it
   * answered, so order holds, and the device stores one answer while the server applies the next
   * batch instead of the server waiting for it (the gap was ~50 ms a batch of 2,000, server idle).
   * That next batch is read and encoded while the one before it is on the wire (PushReadAhead), so
   * once an answer is checked it leaves at once. A batch answered only in part is followed by
   * nothing until its answer is stored: what it left unanswered goes first in the next round, and
   * what was read ahead is dropped.
   */
  private async push(): Promise<void> {
    const ahead = new PushReadAhead(this.store.outbox);
    let inFlight: InFlightPush | null = null;
    try {
      for (let round = 0; round < MAX_ROUND_TRIPS && !this.stopped; round++) {
        if (!inFlight) {
          this.lanes.push.wanted = false;
          ahead.restart();
          let batch = ahead.take(this.pushSender.nextSize());
          if (!batch) return;
          // Nothing heard from the server yet (a fresh start with a backlog): its stated limit sizes this batch too.
          if (await this.pushSender.learnLimit()) {
            if (this.stopped) return;
            ahead.restart();
            batch = ahead.take(this.pushSender.nextSize());
            if (!batch) return;
          }
          inFlight = await this.pushSender.send(batch);
        }
        // The batch after the one on the wire, read and encoded while the server applies it.
        await ahead.fillWhile(inFlight.answer, () => this.stopped);
        const { batch, answer } = inFlight;
        inFlight = null;
        const response = await answer;
        if (response === null) continue; // refused as too large: nothing applied, fewer at a time
        const sent = new Set(batch.entries.map((entry) => entry.id));
        const answered = response.results.filter((result) => sent.has(result.id));
        if (answered.length === batch.entries.length && !this.stopped) {
          this.lanes.push.wanted = false;
          const next = ahead.take(this.pushSender.nextSize());
          if (next) inFlight = await this.pushSender.send(next);
        }
        const change = this.store.applyPushResults(answered, response.serverHlc);
        this.pushAnswers += 1;
        if (change.tables.length > 0) this.hooks.onData(change);
        this.hooks.onStatus();
        // The server answered none of what we sent: stop rather than resend the same batch forever.
        if (answered.length === 0) throw new GatehouseError('INTERNAL', 'The server answered no mutation of the push');
      }
    } finally {
      // Stopped, or failed while the next batch was on the wire: its answer is not stored (the
      // server keeps the results; the next push is answered them again), nor left unobserved.
      void inFlight?.answer.catch(() => undefined);
    }
  }

  /**
   * Stores a page: in one transaction during an initial sync (nothing to scan yet, and fewer commits
   * are faster), else in time slices so a scan never waits long behind a large page.
   */
  private async applyPage({ page, answersAsked }: Fetched, caughtUp: boolean): Promise<DataChange> {
    const changed = new ChangeCollector();
    // A push answered since this page was asked for: the page may not hold what that push applied.
    const answersCovered = () => this.pushAnswers === answersAsked;
    // One transaction during an initial sync: nothing to scan yet, and fewer commits are faster.
    const slice = this.store.phase() === 'syncing' ? Infinity : SLICE_MS;
    let next = 0;
    for (;;) {
      next = this.store.applyPullSlice(page, next, caughtUp, changed, performance.now() + slice, answersCovered);
      if (next >= page.changes.length) return changed.result();
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.stopped) throw new GatehouseError('INTERNAL', 'Sync stopped');
    }
  }

  /** Asks for a page; its answer covers every change committed before now, so a pull wanted until now is served. */
  private fetchPage(cursor: string | null, limit: number): Promise<Fetched> {
    this.lanes.pull.wanted = false;
    const answersAsked = this.pushAnswers;
    const askedAt = performance.now();
    return this.api
      .call(routes['sync.pull'], { query: { limit, ...(cursor ? { cursor } : {}) } }, { answer: pullPageSchema })
      .then((page) => ({ page, answersAsked, askedAt }));
  }

  /**
   * Pages until caught up. The next page is asked for as soon as a page arrives (its cursor is in
   * it), so the server reads it while this one is written; a page that is not applied is simply
   * asked for again from the stored cursor. An initial sync into an empty database runs in the
   * `syncing` phase, with large pages.
   */
  private async pull(): Promise<void> {
    let done = 0;
    let cursor = this.store.state.get('cursor');
    if (!cursor) this.store.beginInitialSync();
    let next: Promise<Fetched> | null = null;
    // Under a stream the round itself waits for the pace: pokes that arrive during a round start the
    // next one straight from `run`, without passing `kick`.
    await this.pacer.beforeRound(() => this.stopped);
    if (this.stopped) return;
    try {
      for (let round = 0; round < MAX_ROUND_TRIPS && !this.stopped; round++) {
        const limit = this.store.phase() === 'syncing' ? this.options.initialPullLimit : this.options.pullLimit;
        let fetched: Fetched;
        try {
          fetched = await (next ?? this.fetchPage(cursor, limit));
        } catch (error) {
          next = null;
          if (error instanceof GatehouseError && error.code === 'CURSOR_INVALID' && cursor) {
            // Rows are kept by rev, so starting over is safe: only newer versions replace what we hold.
            this.options.log('sync: cursor refused by the server, resyncing from the start');
            this.store.state.set('cursor', null);
            cursor = null;
            continue;
          }
          throw error;
        }
        const { page } = fetched;
        // `remaining` also counts rows behind a write still in flight, so it alone never keeps us
        // pulling: only a page that brought rows and says more are waiting does.
        const more = page.hasMore || (page.changes.length > 0 && (page.remaining ?? 0) > 0);
        // A stream (PullPacer): the next page waits, unless this one was full.
        const pacedUntil = this.pacer.pageArrived(page.changes.length, fetched.askedAt, page.hasMore);
        const paced = more && pacedUntil > performance.now();
        next = more && !paced && !this.stopped ? this.fetchPage(page.cursor, limit) : null;
        next?.catch(() => undefined); // consumed (or dropped) below
        // fetch() writes the request only once this task ends: storing the page first (one
        // synchronous transaction during an initial sync) would leave the server idle meanwhile and
        // the device waiting for it afterwards. One turn of the event loop sends it.
        if (next) await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.stopped) return;
        const change = await this.applyPage(fetched, !more);
        cursor = page.cursor;
        done += page.changes.length;
        this.status.progress = more ? { done, total: done + Math.max(page.remaining ?? 0, 1) } : null;
        this.hooks.onStatus();
        if (change.tables.length > 0) this.hooks.onData(change);
        if (!more) {
          this.hooks.onCaughtUp();
          return;
        }
        if (paced) await this.pacer.waitUntil(pacedUntil, () => this.stopped);
      }
    } finally {
      this.status.progress = null;
    }
  }
}
