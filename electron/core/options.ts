import type { FetchLike } from './api/client';
import type { WebSocketFactory } from './sync/live';
import type { TokenStore } from './tokens';

/** Where the core's lines go (the host writes them to its log). */
export type CoreLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** How a host opens the core (core.ts): its data folder and token store, and what tests replace. */
export type CoreOptions = {
  dataDir: string;
  tokenStore: TokenStore;
  now?: () => number;
  fetch?: FetchLike;
  WebSocketImpl?: WebSocketFactory;
  log?: CoreLog;
  /** Sync tuning; tests use small pages and `autoSync: false` to drive cycles themselves. */
  pullLimit?: number;
  /** Page size of an initial sync (the `syncing` phase): 2,000, or `pullLimit` when only that is set. */
  initialPullLimit?: number;
  pollMs?: number;
  liveSync?: boolean;
  autoSync?: boolean;
  /** scrypt cost of the offline-unlock verifier (tests lower it). */
  verifierCost?: number;
  /** The protocol version to speak (protocol/src/version.ts); tests play older and newer devices. */
  protocolVersion?: number;
};
