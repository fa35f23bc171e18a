import type { AlertAcknowledgementRow, BookingRow, CheckinRow, EventRow, RefusalRow, StoredResult } from '../rows';
import type { BookInput } from './bookings';
import type { DeriveAlerts } from './checkins';
import type { EventEdit } from './events';

/** The identity of one pushed mutation, for the exactly-once ledger. */
export type MutationClaim = {
  id: string;
  userId: string;
  deviceId: string;
  name: string;
  /** Hash of name + args (canonical JSON): the same id with other content is MUTATION_ID_REUSED. */
  argsHash: string;
  /** The HLC the mutation is ordered by: the pushed one, or the server's when that led too far. */
  hlc: string;
  /** The HLC the device pushed, set only when the server stored another (sync/push.ts storedHlc). */
  pushedHlc?: string;
};

/** A store write a mutation makes; the same operations the repositories offer on their own. */
export type StoreOp =
  | { kind: 'recordCheckIn'; row: Omit<CheckinRow, 'rev'>; deriveAlerts: DeriveAlerts }
  | { kind: 'recordRefusal'; row: Omit<RefusalRow, 'rev'> }
  | { kind: 'acknowledgeAlert'; alertId: string; eventId: string; acknowledgement: AlertAcknowledgementRow }
  | { kind: 'book'; input: BookInput }
  | { kind: 'cancelBooking'; bookingId: string; at: string; mailFor: (row: BookingRow) => string[] }
  | {
      kind: 'updateEvent';
      eventId: string;
      edit: EventEdit;
      /** The edit's HLC: a field it won carries it (EventRow.fieldHlc); none does when it lost them all. */
      hlc: string;
    };

/** What applying an op tells its answer: whether it lost every field (an edit), and the HLC its row holds. */
export type OpOutcome = { superseded: boolean; hlc: string | null };

/**
 * What a mutation applied answers: `hlc` when the server stored another HLC than the device pushed
 * (`claim.pushedHlc` set: a clock too far ahead, sync/push.ts) — the one the row holds, which the
 * device adopts so both order the same; `superseded` when it was applied but every field it set had
 * already been written by a later HLC (last writer wins: the device is told, not left believing it won).
 */
export function appliedResult(claim: MutationClaim, outcome: OpOutcome): StoredResult {
  return {
    status: 'applied',
    ...(claim.pushedHlc !== undefined && outcome.hlc !== null ? { hlc: outcome.hlc } : {}),
    ...(outcome.superseded ? { superseded: true as const } : {}),
  };
}

/** Whether an event edit of HLC `hlc` lost every field it set: none of the row's fields carries it. */
export function editSuperseded(row: EventRow, hlc: string): boolean {
  return !Object.values(row.fieldHlc).includes(hlc);
}

/**
 * One mutation of a push: its claim and what applying it means — a store write, or a rejection
 * already decided (bad args, no permission), which is recorded like any result.
 */
export type MutationWork = { claim: MutationClaim; apply: StoreOp | { kind: 'reject'; result: StoredResult } };

export type LedgerEntry = MutationClaim & { status: 'applying' | 'done'; result: StoredResult | null };

export interface MutationLedger {
  /**
   * Applies a push's mutations exactly once each, in order (a device's outbox is causal), and
   * answers one result per item. A mutation seen before answers its stored result; the same id
   * with another user, name or args answers MUTATION_ID_REUSED (not stored). An op that throws a
   * GatehouseError below 500 is `rejected` with its code, and recorded. Its effects, change-log
   * appends and ledger record commit together on SQLite; on MongoDB a claim with a lease makes a
   * crash between them safe (effects' ids derive from the mutation). An unexpected failure rejects
   * the whole call; whatever was not recorded is applied on the device's retry.
   */
  applyBatch(work: MutationWork[]): Promise<StoredResult[]>;
  find(id: string): Promise<LedgerEntry | null>;
}
