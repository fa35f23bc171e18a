/** Failed sign-ins per key (`pair:<email>:<ip>`, `account:<email>`); see auth/lockout.ts for the policy. */
export interface LockoutRepository {
  /** The latest `lockedUntilMs` of these keys, 0 when none is locked. */
  lockedUntil(keys: string[]): Promise<number>;
  /** Counts one more failure, atomically; returns the count after it. */
  recordFailure(key: string, nowMs: number): Promise<number>;
  lock(key: string, untilMs: number): Promise<void>;
  clear(key: string): Promise<void>;
}
