import { Account, type LocalUser } from './account';
import type { ServerApi } from './api/client';
import { ErasureScrub } from './bookings/erasure-scrub';
import { BookingQueries } from './bookings/queries';
import { SearchIndexer } from './bookings/search-index';
import { CheckinQueries } from './checkins/queries';
import { EventQueries } from './events/queries';
import type { CoreLog, CoreOptions } from './options';
import { PhotoFetcher } from './photos/fetcher';
import type { KnownUser } from './session/device';
import type { AccountTokens } from './session/tokens';
import type { AccountStore, DataChange } from './store';
import { SyncEngine } from './sync/engine';
import { defaultWebSocket } from './sync/live';

const DEFAULT_PULL_LIMIT = 500;
/**
 * Rows stored the cheap way per page of an initial sync, one transaction each. At 100,000 bookings
 * pages of 5,000 were about 0.15 s faster (fewer round trips and commits; the server reads the next
 * page while this one is written either way) but held 15–20 MB more at the peak.
 */
const DEFAULT_INITIAL_PULL_LIMIT = 2000;
/** Progress of the index build reaches the UI at most this often (each chunk takes a few ms). */
const INDEX_STATUS_EVERY_MS = 100;
/**
 * An erasure scrub that found the WAL in use is tried again after this long, then after twice as
 * long each time, up to SCRUB_RETRY_MAX_MS: a reader or the checkpoint worker lets go within
 * milliseconds, and a retry does not merge the search index again.
 */
const SCRUB_RETRY_FIRST_MS = 100;
const SCRUB_RETRY_MAX_MS = 30_000;

/** What an account's parts need from the core that opens it (core.ts). */
export type AccountWiring = {
  deviceId: string;
  options: CoreOptions;
  log: CoreLog;
  /** Device time corrected by the skew measured against the server (ms since the epoch, UTC). */
  trustedNow: () => number;
  /** The account the core has open now, or null: the parts of one no longer open stop acting for it. */
  current: () => Account | null;
  /** Sync status changed (phase, progress, reachability): tell the UI. */
  emitStatus: () => void;
  /** Rows changed (pulled or written here): tell the UI. */
  emitData: (change: DataChange) => void;
  /** A photo was fetched and stored: tell the UI. */
  emitPhotoStored: () => void;
  /** The signed-in user's profile arrived from their `user:<id>` bucket (Core.applyProfile). */
  applyProfile: (profile: { email: string; name: string }) => void;
};

/**
 * Builds an open account around its store and its server API: the erasure scrub (one noted before
 * a crash is finished here), the search indexer, the photo fetcher and the sync engine, wired to
 * each other and to the core. Starts none of them: the core does, once the account is its own.
 */
export function assembleAccount(
  opened: {
    known: KnownUser;
    tokens: AccountTokens;
    store: AccountStore;
    api: ServerApi;
    serverSession: boolean;
  },
  wiring: AccountWiring,
): Account {
  const { known, tokens, store, api, serverSession } = opened;
  const { options, log } = wiring;
  const user: LocalUser = { id: known.userId, email: known.email, name: known.name, role: known.role };
  // An erasure the pull stored leaves the disk before the next page (bookings/erasure-scrub.ts);
  // one noted before a crash is finished here, at open.
  const erasureScrub = new ErasureScrub(store.db);
  // A WAL in use (a reader, the checkpoint worker) defers the scrub: tried again soon, not only at
  // the next change, which at a quiet event may be hours away. Doubling, at most SCRUB_RETRY_MAX_MS.
  let scrubRetry: { timer: NodeJS.Timeout; delayMs: number } | null = null;
  const scrubErasures = () => {
    const lastDelayMs = scrubRetry?.delayMs ?? 0;
    if (scrubRetry) clearTimeout(scrubRetry.timer);
    scrubRetry = null;
    if (!store.db.open || !erasureScrub.due()) return;
    let why: string;
    try {
      const outcome = store.write(() => erasureScrub.run());
      if (outcome.walTruncated) {
        log('info', `erasure scrub: ${outcome.bookings} erased booking(s) merged out of the search index`);
        return;
      }
      why = 'the WAL is in use';
    } catch (error) {
      why = (error as Error).message;
    }
    const delayMs = Math.min(SCRUB_RETRY_MAX_MS, Math.max(SCRUB_RETRY_FIRST_MS, lastDelayMs * 2));
    log('warn', `erasure scrub: ${why}; trying again in ${delayMs} ms`);
    scrubRetry = { timer: setTimeout(scrubErasures, delayMs), delayMs };
    scrubRetry.timer.unref();
  };
  scrubErasures();
  let lastIndexStatus = 0;
  let engine: SyncEngine | null = null;
  const indexer = new SearchIndexer(store.searchIndex, () => ['readyToScan', 'indexing'].includes(store.phase()), {
    syncIdle: () => engine?.idle() ?? Promise.resolve(),
    onProgress: (step) => {
      const now = Date.now();
      if (!step.done && now - lastIndexStatus < INDEX_STATUS_EVERY_MS) return;
      lastIndexStatus = now;
      wiring.emitStatus();
      if (!step.done) return;
      store.tuneForPhase();
      wiring.emitData({ tables: ['bookings'], eventIds: store.eventIds() });
    },
    log: (message) => log('warn', message),
  });
  // The second phase: photos once the initial sync is ready, never ahead of the rows (photos/fetcher.ts).
  const photoFetcher = new PhotoFetcher(store, api, {
    mayRun: () => {
      const current = wiring.current();
      return store.phase() === 'ready' && current?.store === store && current.serverSession;
    },
    onStored: wiring.emitPhotoStored,
    log: (message) => log('warn', message),
  });
  engine = new SyncEngine(
    store,
    api,
    {
      pullLimit: options.pullLimit ?? DEFAULT_PULL_LIMIT,
      initialPullLimit: options.initialPullLimit ?? options.pullLimit ?? DEFAULT_INITIAL_PULL_LIMIT,
      pollMs: options.pollMs ?? 15_000,
      live: options.liveSync ?? true,
      auto: options.autoSync ?? true,
      WebSocketImpl: options.WebSocketImpl ?? defaultWebSocket,
      log: (message) => log('info', message),
    },
    {
      onData: (change) => {
        if (change.tables.includes('bookings')) {
          scrubErasures();
          photoFetcher.wake();
        }
        const current = wiring.current();
        if (change.tables.includes('users') && current?.store === store) {
          const profile = store.userProfile(current.user.id);
          if (profile) wiring.applyProfile(profile);
        }
        wiring.emitData(change);
      },
      onStatus: wiring.emitStatus,
      onCaughtUp: () => indexer.resume(),
    },
    wiring.deviceId,
    () => tokens.accessToken(),
  );
  return new Account(
    {
      key: known.accountKey,
      photoFetcher,
      user,
      serverUrl: known.serverUrl,
      store,
      tokens,
      api,
      engine,
      indexer,
      events: new EventQueries(store),
      bookings: new BookingQueries(store),
      checkins: new CheckinQueries(store),
      serverSession,
    },
    {
      deviceId: wiring.deviceId,
      trustedNow: wiring.trustedNow,
      onLocalWrite: (change) => {
        wiring.emitData(change);
        wiring.emitStatus();
      },
    },
  );
}
