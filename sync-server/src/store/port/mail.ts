import type { MailStatus } from '@gatehouse/protocol';
import type { ComposedMailRow, MailHandoff, MailRow } from '../rows';
import type { After } from './shared';

export type MailListFilter = { status?: MailStatus };

/** A message's two renderings, as stored on its row. */
export type MailBody = { html: string; text: string };

export interface MailRepository {
  /**
   * Queues messages; those already queued (same id) are left alone, and those of an erased booking
   * (composed from a read before the erasure) are dropped. Returns how many were new.
   */
  enqueue(messages: ComposedMailRow[], messageIdOf: (id: string) => string, nowMs: number): Promise<number>;
  /**
   * Leases the next due message to `owner` for `leaseMs` — a pending one whose time has come, or
   * one whose previous lease ran out — raising `attempts` and `claimSeq`. Null when nothing is due.
   * Two workers never hold one message at once.
   */
  claim(owner: string, leaseMs: number, nowMs: number): Promise<MailRow | null>;
  /**
   * Outcomes are recorded only while the claim (`claimSeq`) still holds the lease; false otherwise.
   * `keptBody`, when given, replaces the stored html and text in the same write: the copy kept of a
   * message whose secret (a one-time code) must not outlive its sending (mail/account.ts).
   */
  markSent(id: string, claimSeq: number, nowMs: number, keptBody?: MailBody): Promise<boolean>;
  markRetry(id: string, claimSeq: number, error: string, nextAttemptAtMs: number): Promise<boolean>;
  markDead(id: string, claimSeq: number, error: string): Promise<boolean>;
  /** Newest first by (createdAtMs, id). */
  list(filter: MailListFilter, after: After<number> | undefined, limit: number): Promise<MailRow[]>;
  countByStatus(): Promise<Record<MailStatus, number>>;
  /** Moves a message from one of `from` to `to`; NOT_FOUND when missing, CONFLICT when in another status. */
  transition(
    id: string,
    from: MailStatus[],
    to: { status: 'pending' | 'discarded'; nowMs: number; resetAttempts: boolean },
  ): Promise<MailRow>;
  /**
   * Hand-offs waiting to be turned into messages: bookings' first, at most `limit` of each kind,
   * each kind oldest first by when the hand-off was first recorded (more items owed on a waiting
   * hand-off keep its place; one cleared and owed again is recorded anew).
   */
  handoffs(limit: number): Promise<MailHandoff[]>;
  /** Removes the hand-off's items (those added since stay). */
  clearHandoff(handoff: MailHandoff): Promise<void>;
  /** Whether an event-wide fan-out (`<eventId>:eventChanged:<rev>`, `<eventId>:eventCancelled:<rev>`) ran to its end. */
  fanOutDone(marker: string): Promise<boolean>;
  markFanOutDone(marker: string, nowMs: number): Promise<void>;
}
