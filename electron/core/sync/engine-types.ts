import type { ErrorCode } from '@gatehouse/protocol';
import type { DataChange } from '../store';
import type { WebSocketFactory } from './live';

export type EngineOptions = {
  pullLimit: number;
  /** Page size while the account is in its initial `syncing` phase (rows stored the cheap way). */
  initialPullLimit: number;
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
  /** The stable code of `lastError` when it had one (e.g. PROTOCOL_UNSUPPORTED). */
  lastErrorCode: ErrorCode | null;
  progress: { done: number; total: number } | null;
};

export type EngineHooks = {
  onData: (change: DataChange) => void;
  onStatus: () => void;
  /** A pull reached the server's head (the caller starts the search index build if one is due). */
  onCaughtUp: () => void;
};
