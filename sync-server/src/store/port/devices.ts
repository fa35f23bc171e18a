import type { DeviceRow } from '../rows';
import type { After } from './shared';

export interface DeviceRepository {
  /**
   * Records that `deviceId` synced for `userId` now (inserting it on first sight, moving it to the
   * user who signs in on it) and returns it; `clockOffsetMs` is kept when given. A touch that the
   * stored row already says closely enough (`touchIsRecorded` in store/device-touch.ts: within 5 s,
   * same user and session, offset within 1 s) writes nothing and returns the stored row.
   */
  touch(input: {
    deviceId: string;
    userId: string;
    at: string;
    clockOffsetMs?: number;
    /** The session syncing as the device now (recorded as `sessionId`). */
    sessionId?: string;
  }): Promise<DeviceRow>;
  findById(id: string): Promise<DeviceRow | null>;
  /**
   * By (firstSeenAt, id) ascending — never by lastSeenAt, which every sync moves; `userId` limits to
   * one user's devices (the filter is in the query).
   */
  list(scope: { userId?: string }, after: After<string> | undefined, limit: number): Promise<DeviceRow[]>;
  /** Revokes the device if it is in scope; null when it is not (someone else's is NOT_FOUND to the caller). */
  revoke(id: string, scope: { userId?: string }, at: string): Promise<DeviceRow | null>;
}
