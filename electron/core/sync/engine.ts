import { GatehouseError, type PullResponse, pullResponseSchema, pushResponseSchema } from '@gatehouse/protocol';
import type { ServerApi } from '../api/client';
import type { AccountStore, DataChange } from '../store';
import { PUSH_TIMEOUT_MS, PushBatchSizer } from './batch-size';
import { LiveConnection, type WebSocketFactory } from './live';

export type EngineOptions = {
  pullLimit: number;
  /** Poll interval while the live socket is down; 0 disables timers (tests drive `syncNow`). */
  pollMs: number;
  live: boolean;
  /** False: no timers, no socket, no sync after writes — the caller drives `syncNow` (tests). */
  auto: boolean;
  WebSocketImpl: WebSocketFactory;
  log: (message: string) => void;
};

export type EngineStatus = {
  liveConnected: boolean;
  lastError: string | null;
  progress: { done: number; total: number } | null;
};

/** Upper bound on round trips in one cycle, so a misbehaving server can never spin the engine. */
const MAX_ROUND_TRIPS = 100_000;
const CONNECTED_POLL_FACTOR = 6;

/**
 * Moves data between the account store and the server: pushes the outbox in order, pulls pages
 * (rows and cursor in one transaction), listens for pokes. Cycles never overlap: a request during
 * a cycle schedules exactly one more.
 */
export class SyncEngine {
  readonly status: EngineStatus = { liveConnected: false, lastError: null, progress: null };
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private readonly live: LiveConnection | null;
  private readonly pushBatch = new PushBatchSizer();

  constructor(
    private readonly store: AccountStore,
    private readonly api: ServerApi,
    private readonly options: EngineOptions,
    private readonly hooks: { onData: (change: DataChange) => void; onStatus: () => void },
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
            onPoke: () => this.requestSync(),
            onConnected: (connected) => {
              this.status.liveConnected = connected;
              this.schedulePoll();
              this.hooks.onStatus();
            },
            WebSocketImpl: options.WebSocketImpl,
            log: options.log,
          })
        : null;
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
    if (this.debounce) clearTimeout(this.debounce);
    this.pollTimer = null;
    this.debounce = null;
    await this.running?.catch(() => undefined);
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

  /** Soon, coalesced: many local writes in a burst cause one push. */
  requestSync(): void {
    if (this.stopped || !this.options.auto) return;
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.syncNow().catch(() => undefined);
    }, 20);
  }

  /** Runs a full cycle (or joins the running one and then runs another); rejects with its error. */
  async syncNow(): Promise<void> {
    if (this.running) {
      this.again = true;
      await this.running.catch(() => undefined);
      if (this.running) return this.running;
    }
    this.again = false;
    this.running = this.cycle().finally(() => {
      this.running = null;
    });
    await this.running;
    if (this.again && !this.stopped) await this.syncNow();
  }

  private async cycle(): Promise<void> {
    try {
      await this.push();
      await this.pull();
      this.status.lastError = null;
    } catch (error) {
      this.status.lastError = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      this.status.progress = null;
      this.hooks.onStatus();
    }
  }

  private async push(): Promise<void> {
    for (let round = 0; round < MAX_ROUND_TRIPS && !this.stopped; round++) {
      const batch = this.store.outbox.peek(this.pushBatch.next);
      if (batch.length === 0) return;
      this.store.outbox.markAttempted(batch.map((entry) => entry.id));
      const started = Date.now();
      const response = await this.api
        .request('POST', '/sync/push', {
          body: { mutations: batch.map(({ id, name, args, hlc }) => ({ id, name, args, hlc })) },
          schema: pushResponseSchema,
          timeoutMs: PUSH_TIMEOUT_MS,
        })
        .catch((error: unknown) => {
          // Unanswered for the whole timeout: the server is slow, not gone; send less next time.
          if (Date.now() - started >= PUSH_TIMEOUT_MS * 0.9) this.pushBatch.timedOut();
          throw error;
        });
      this.pushBatch.answered(Date.now() - started, batch.length);
      const sent = new Set(batch.map((entry) => entry.id));
      const answered = response.results.filter((result) => sent.has(result.id));
      const change = this.store.applyPushResults(answered, response.serverHlc);
      if (change.tables.length > 0) this.hooks.onData(change);
      this.hooks.onStatus();
      // The server answered none of what we sent: stop rather than resend the same batch forever.
      if (answered.length === 0) throw new GatehouseError('INTERNAL', 'The server answered no mutation of the push');
    }
  }

  private async pull(): Promise<void> {
    let done = 0;
    for (let round = 0; round < MAX_ROUND_TRIPS && !this.stopped; round++) {
      const cursor = this.store.state.get('cursor');
      const query = new URLSearchParams({ limit: String(this.options.pullLimit) });
      if (cursor) query.set('cursor', cursor);
      let page: PullResponse;
      try {
        page = await this.api.request('GET', `/sync/pull?${query}`, { schema: pullResponseSchema });
      } catch (error) {
        if (error instanceof GatehouseError && error.code === 'CURSOR_INVALID' && cursor) {
          // Rows are kept by rev, so starting over is safe: only newer versions replace what we hold.
          this.options.log('sync: cursor refused by the server, resyncing from the start');
          this.store.state.set('cursor', null);
          continue;
        }
        throw error;
      }
      // `remaining` also counts rows behind a write still in flight, so it alone never keeps us
      // pulling: only a page that brought rows and says more are waiting does.
      const more = page.hasMore || (page.changes.length > 0 && (page.remaining ?? 0) > 0);
      const change = this.store.applyPullPage(page, !more);
      done += page.changes.length;
      if (more) {
        this.status.progress = { done, total: done + Math.max(page.remaining ?? 0, 1) };
        this.hooks.onStatus();
      }
      if (change.tables.length > 0) this.hooks.onData(change);
      if (!more) return;
    }
  }
}
