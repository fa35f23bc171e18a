import type { DeviceRepository } from './port';
import type { DeviceRow } from './rows';

/**
 * When a device touch may leave the stored row as it is — the same rule on both adapters. Every
 * push and pull touches its device, and a write per request was a measurable share of a busy
 * server's time (a commit on SQLite), for values admins read coarsely (renderer DevicesPanel):
 * `lastSeenAt` as "just now" below 5 s, then in whole seconds or minutes, and the clock offset in
 * whole seconds. The offset is a lower bound (newest HLC in a push minus now, sync/push.ts
 * clockOffsetOf) that moves with each push's queueing delay, so a finer slack rewrote the row on
 * most pushes of a busy server. The caller reads the row either way, so a revoked device is still
 * refused at once.
 */
export const TOUCH_INTERVAL_MS = 5_000;
/** A newer clock offset this close to the stored one (milliseconds) is not written within TOUCH_INTERVAL_MS. */
export const TOUCH_OFFSET_SLACK_MS = 1_000;

export type TouchInput = Parameters<DeviceRepository['touch']>[0];

/**
 * Whether `stored` already says what `input` would write, closely enough: written less than
 * TOUCH_INTERVAL_MS before `input.at` (and not after it), for the same user, the same session when
 * one is named, and a clock offset within TOUCH_OFFSET_SLACK_MS when one is given.
 */
export function touchIsRecorded(stored: DeviceRow, input: TouchInput): boolean {
  const sinceMs = Date.parse(input.at) - Date.parse(stored.lastSeenAt);
  if (!(sinceMs >= 0 && sinceMs < TOUCH_INTERVAL_MS)) return false;
  if (stored.userId !== input.userId) return false;
  if (input.sessionId !== undefined && input.sessionId !== stored.sessionId) return false;
  if (input.clockOffsetMs === undefined) return true;
  return stored.clockOffsetMs !== null && Math.abs(input.clockOffsetMs - stored.clockOffsetMs) < TOUCH_OFFSET_SLACK_MS;
}
