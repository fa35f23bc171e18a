import { z } from 'zod';
import { userSchema } from '../auth';
import { bookingSchema } from '../bookings';
import { idSchema } from '../common';
import { SCAN_VERDICTS } from '../checkins/verdict';

/** The shapes the RPC table (rpc/index.ts) answers with, beside the domains' own schemas. */

export const scanResultSchema = z.object({
  verdict: z.enum(SCAN_VERDICTS),
  /** Plain words for the steward, e.g. "Already inside since 19:02 (Gate B)". */
  message: z.string(),
  /**
   * A stable code: why a scan was refused (`alreadyInside`, `reentryNotAllowed`, `bookingCancelled`,
   * `eventCancelled`, `wrongEvent`, or an InvalidReason), `bookingNotOnDevice` for a ticket
   * admitted on its signature alone, `reentry` for an admission after an exit; null for a plain
   * admit or exit.
   */
  reason: z.string().nullable(),
  booking: bookingSchema.nullable(),
  ticketTypeName: z.string().nullable(),
  firstEntry: z
    .object({ checkinId: z.string(), gate: z.string(), scannedAt: z.string(), deviceId: z.string() })
    .nullable(),
  /** The check-in recorded by this scan (an admit or an exit). */
  checkinId: z.string().nullable(),
  /** Core time for verify + lookup + verdict + record, for the diagnostics line. */
  micros: z.number(),
  /**
   * The attendee's photo, when the booking's ticket type requires one (null or absent otherwise),
   * as this device holds it — the verdict never waits for the network: `ready` (its bytes are
   * here: `checkin.photo`), `notDownloaded` (on file, not arrived yet), `missing` (none on file:
   * check ID).
   */
  photo: z.enum(['ready', 'notDownloaded', 'missing']).nullable().optional(),
});
export type ScanResult = z.infer<typeof scanResultSchema>;

/**
 * Where a device is in getting an account's data (electron/core, kept in its database):
 * - `syncing`: the initial download — events and their ticket keys first, then bookings;
 * - `readyToScan`: every row is here, so a verdict can be given; the search index is not built yet;
 * - `indexing`: the search index is being built in bulk (search finds only part of the bookings);
 * - `ready`: everything works, and later changes keep the index in step.
 */
export const SYNC_PHASES = ['syncing', 'readyToScan', 'indexing', 'ready'] as const;
export const syncPhaseSchema = z.enum(SYNC_PHASES);
export type SyncPhase = z.infer<typeof syncPhaseSchema>;

export const syncStatusSchema = z.object({
  signedIn: z.boolean(),
  /** Derived from the last real request: true after a success, false after a network failure. */
  online: z.boolean(),
  liveConnected: z.boolean(),
  pending: z.number().int(),
  lastSyncAt: z.string().nullable(),
  lastError: z.string().nullable(),
  /**
   * Device and server speak protocol versions that do not meet (version.ts): what to update, in
   * plain words. Nothing is sent meanwhile and the outbox is kept.
   */
  updateNeeded: z.string().nullable(),
  /** Set during an initial or large sync. */
  progress: z.object({ done: z.number().int(), total: z.number().int() }).nullable(),
  /** The account's phase; null when no account is open. */
  phase: syncPhaseSchema.nullable(),
  /** While the search index is built (`indexing`): bookings indexed so far, of all. */
  indexProgress: z.object({ done: z.number().int(), total: z.number().int() }).nullable(),
  rejected: z.array(
    z.object({
      mutationId: z.string(),
      name: z.string(),
      code: z.string(),
      message: z.string(),
      at: z.string(),
      /** The guest and the event the change was about, as the device held them when it was refused. */
      guestName: z.string().nullable(),
      eventTitle: z.string().nullable(),
    }),
  ),
  clockSkewMs: z.number().nullable(),
});
export type SyncStatus = z.infer<typeof syncStatusSchema>;

export const localUserSchema = userSchema.pick({ id: true, email: true, name: true, role: true });
/**
 * The device was revoked (DEVICE_REVOKED) or its account disabled (ACCOUNT_DISABLED): its unsent
 * changes were saved to `exportFiles` (give them to an admin to import) and, when `wiped`, its local
 * data removed. `unsentChanges` is -1 when the file could not be written (then nothing was wiped).
 */
export const accessLostSchema = z.object({
  code: z.string(),
  exportFiles: z.array(z.string()),
  unsentChanges: z.number().int(),
  wiped: z.boolean(),
});
export type AccessLost = z.infer<typeof accessLostSchema>;

export const sessionStateSchema = z.object({
  user: localUserSchema.nullable(),
  serverUrl: z.string().nullable(),
  deviceId: z.string(),
  /** False when signed in offline (unlock): server-only screens say so instead of failing. */
  online: z.boolean(),
  /**
   * The door's accounts (staff and organizers) that signed in on this device before and can unlock
   * offline, most recent first.
   */
  knownUsers: z.array(z.object({ email: z.string(), name: z.string() })),
  /**
   * Other accounts that signed in here and can unlock offline by typing their email (admins): not
   * listed, so the sign-in screen does not show every account the laptop has seen.
   */
  otherUnlockable: z.boolean().optional(),
  /** Set when the account's local database is damaged: the UI offers `sync.recoverStore`. */
  storeProblem: z.object({ code: z.string(), message: z.string() }).nullable().optional(),
  /** Set when the server ended this device's access for good; shown until the next sign-in. */
  accessLost: accessLostSchema.nullable().optional(),
});
export type SessionState = z.infer<typeof sessionStateSchema>;

/** The door's figures on this device, by the rules of protocol/src/checkins (countAdmissions). */
export const eventCountersSchema = z.object({
  eventId: idSchema,
  /** Seats of confirmed bookings. */
  expected: z.number().int(),
  /** Live bookings with at least one admission (bookings not yet on this device count as live). */
  admitted: z.number().int(),
  /** Of those, inside now: their last scan in HLC order is an entry. */
  inside: z.number().int(),
  /** Live bookings admitted at the gate asked about. */
  admittedAtGate: z.number().int(),
  /** Cancelled bookings. */
  cancelled: z.number().int(),
  /** Bookings someone was admitted on and that were cancelled since: never part of `admitted`. */
  admittedThenCancelled: z.number().int(),
});

export const bookingRowSchema = bookingSchema.extend({
  ticketTypeName: z.string(),
  checkedIn: z.boolean(),
});
export type BookingRow = z.infer<typeof bookingRowSchema>;
