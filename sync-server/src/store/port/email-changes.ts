import type { UserRow } from '../rows';

/**
 * A user's request to move their account to another email, waiting for the code mailed to the new
 * address. The code is kept only as its SHA-256 (`tokenHash`); one pending change per user.
 */
export type EmailChangeRow = {
  userId: string;
  newEmail: string;
  tokenHash: string;
  requestedAt: string;
  expiresAtMs: number;
  /** When its code confirmed it; a used row stays (until the user asks again) so a reuse is told apart. */
  usedAtMs: number | null;
};

/** What confirming a code did. `applied` carries the account after the change and the address it left. */
export type EmailChangeOutcome =
  | { kind: 'applied'; user: UserRow; oldEmail: string }
  /** Never issued, replaced by a newer request of its user, or its user is gone. */
  | { kind: 'unknown' }
  | { kind: 'expired' }
  | { kind: 'used' }
  /** Another account has the new email by now; the code is left unused. */
  | { kind: 'taken' };

/** Pending email changes (users/email-change.ts). */
export interface EmailChangeRepository {
  /** Records the user's pending change, replacing any earlier one of theirs (whose code then stops working). */
  request(row: Omit<EmailChangeRow, 'usedAtMs'>): Promise<void>;
  /** The user's change whose code has not been used (expired or not), or null. */
  pendingFor(userId: string): Promise<EmailChangeRow | null>;
  /**
   * Applies the change whose code hashes to `tokenHash`, if it is unused and not expired at
   * `nowMs`: the user's email becomes the new one (rev bumped, profile published to `user:<id>`)
   * and the code is spent, so of two confirms of one code one is `applied`, the other `used`.
   */
  confirm(tokenHash: string, nowMs: number, at: string): Promise<EmailChangeOutcome>;
}
