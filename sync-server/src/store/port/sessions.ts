import type { RefreshTokenRow } from '../rows';

export type RotateOutcome =
  | { kind: 'rotated'; previous: RefreshTokenRow; next: RefreshTokenRow }
  /** Unknown, expired or revoked. */
  | { kind: 'invalid' }
  /** Already exchanged once: it leaked. The caller revokes the family. */
  | { kind: 'reused'; familyId: string };

export interface SessionRepository {
  insert(row: RefreshTokenRow): Promise<void>;
  findByHash(hash: string): Promise<RefreshTokenRow | null>;
  /**
   * Exchanges the token `hash` for `next(previous)` in one atomic step: of two concurrent uses of
   * one token exactly one is `rotated`, the other `reused`.
   */
  rotate(hash: string, nowMs: number, next: (previous: RefreshTokenRow) => RefreshTokenRow): Promise<RotateOutcome>;
  /**
   * The session (family) `familyId` if it is still on: a token of it is neither revoked nor
   * expired at `nowMs`. Null once it was ended or ran out. Read on every authenticated request
   * (through the guard's per-process cache), so it is one indexed lookup.
   */
  activeSession(familyId: string, nowMs: number): Promise<ActiveSessionRow | null>;
  /** The user's sessions that are still on, most recently refreshed first. */
  listActive(userId: string, nowMs: number): Promise<SessionSummaryRow[]>;
  /** Ends one session; with `userId`, only if it is that user's. Returns how many sessions ended (0 or 1). */
  revokeFamily(familyId: string, nowMs: number, userId?: string): Promise<number>;
  /** Ends every session of the user except `exceptFamilyId`; returns how many ended. */
  revokeUser(userId: string, nowMs: number, exceptFamilyId?: string): Promise<number>;
  /** Ends every session of the user started on `deviceId`; returns how many ended. */
  revokeDevice(userId: string, deviceId: string, nowMs: number): Promise<number>;
}

/** What the guard needs of a session that is on. */
export type ActiveSessionRow = { familyId: string; userId: string; deviceId: string | null };

/** One session as its user sees it; instants in ms since the epoch (UTC). */
export type SessionSummaryRow = ActiveSessionRow & {
  startedAtMs: number;
  /** The newest token's issue time: the last refresh. */
  lastActiveAtMs: number;
  expiresAtMs: number;
};
