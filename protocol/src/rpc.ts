import { z } from 'zod';
import { passwordChangeRequestSchema, sessionsEndedSchema, userSchema, userSessionSchema } from './auth';
import { attendeeSchema, bookingSchema } from './bookings';
import { emailSchema, idSchema } from './common';
import type { ErrorDetail, errorCodeSchema } from './errors';
import { EXPORT_KINDS } from './exports';
import { eventCreateSchema, eventPatchSchema, eventSchema, eventStaffSchema, eventStatsSchema } from './events';
import { photoDataSchema, photoSchema, photoUploadSchema } from './images';
import {
  IMPORT_CHUNK_BYTES,
  IMPORT_PREVIEW_BYTES,
  importEncodingSchema,
  importMappingSchema,
  importPresetSchema,
  importPreviewSchema,
  importProgressSchema,
  importSummarySchema,
} from './imports';
import { mailIdSchema, mailMessageSchema, mailStatusSchema } from './mail';
import type { roleSchema } from './roles';
import { shellStatusSchema } from './shell';
import { SCAN_VERDICTS } from './checkins/verdict';
import {
  alertSchema,
  checkinDirectionSchema,
  checkinSchema,
  gateSchema,
  MAX_ACKNOWLEDGEMENT_NOTE,
  refusalSchema,
} from './sync';
import { unsentExportSchema, unsentImportResultSchema } from './unsent';
import {
  deviceSchema,
  emailChangeConfirmedSchema,
  emailChangeConfirmSchema,
  emailChangeRequestSchema,
  emailChangeStateSchema,
  userAdminPatchSchema,
  userSelfPatchSchema,
} from './users';

/**
 * The typed contract between the UI (renderer) and the local node (electron/core). One table,
 * method name → params schema → result schema; core registers one handler per method, the renderer's
 * `invoke('name', params)` is checked against the same types, and every transport (Electron IPC via
 * MessagePort, the browser host's WebSocket, tests calling in-process) carries the same frames.
 */

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

const nothing = z.strictObject({});
const ok = z.object({ ok: z.literal(true) });
const eventIdParams = z.strictObject({ eventId: idSchema });

export const rpcMethods = {
  // session
  'session.get': { params: nothing, result: sessionStateSchema },
  'session.signIn': {
    params: z.strictObject({ serverUrl: z.url(), email: emailSchema, password: z.string().min(1).max(256) }),
    result: sessionStateSchema,
  },
  'session.unlock': {
    params: z.strictObject({ email: emailSchema, password: z.string().min(1).max(256) }),
    result: sessionStateSchema,
  },
  'session.signOut': { params: z.strictObject({ wipeLocalData: z.boolean() }), result: sessionStateSchema },

  // events
  'events.list': {
    params: z.strictObject({ q: z.string().max(200).optional() }),
    result: z.array(eventSchema),
  },
  'events.get': { params: eventIdParams, result: eventSchema },
  'events.create': { params: z.strictObject({ event: eventCreateSchema }), result: eventSchema },
  'events.update': { params: z.strictObject({ eventId: idSchema, patch: eventPatchSchema }), result: eventSchema },
  'events.setStaff': {
    params: z.strictObject({ eventId: idSchema, staffIds: z.array(idSchema).max(500) }),
    result: eventSchema,
  },
  /** Online only: the staff directory lives on the server. */
  'events.staff': {
    params: z.strictObject({ eventId: idSchema, q: z.string().trim().max(100).optional() }),
    result: eventStaffSchema,
  },
  'events.counters': {
    params: z.strictObject({ eventId: idSchema, gate: gateSchema.optional() }),
    result: eventCountersSchema,
  },
  /**
   * The event's figures as the server counts them from every device that synced (by ticket type,
   * gate and hour): online only, OFFLINE without the server. For organizers, admins and its staff.
   */
  'events.stats': { params: eventIdParams, result: eventStatsSchema },

  // bookings
  'bookings.list': {
    params: z.strictObject({
      eventId: idSchema,
      q: z.string().max(200).optional(),
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(500),
    }),
    result: z.object({ rows: z.array(bookingRowSchema), total: z.number().int() }),
  },
  'bookings.walkIn': {
    params: z.strictObject({ eventId: idSchema, ticketTypeId: idSchema, attendee: attendeeSchema }),
    result: bookingSchema,
  },
  'bookings.cancel': { params: z.strictObject({ bookingId: idSchema }), result: bookingSchema },
  /**
   * Online: erases the attendee's personal data on the server (`POST /bookings/:id/erasure`; the
   * organizer of the event or an admin), then syncs, so this device holds the erased version too.
   */
  'bookings.erase': { params: z.strictObject({ bookingId: idSchema }), result: bookingSchema },
  /**
   * Online: downloads one of the event's CSV exports (protocol/src/exports.ts; organizer or admin)
   * into the exports folder of the data folder, as it streams; the file appears under its final
   * name only once complete. Answers where it was saved. OFFLINE when the server cannot be reached
   * — an export must be complete, so it is never made from this device's copy.
   */
  'exports.save': {
    params: z.strictObject({ eventId: idSchema, kind: z.enum(EXPORT_KINDS) }),
    result: z.object({ path: z.string(), fileName: z.string(), bytes: z.number().int() }),
  },
  /** Online: fetches the signed token and QR from the server (devices never hold private keys). */
  'bookings.ticket': {
    params: z.strictObject({ bookingId: idSchema }),
    result: z.object({ token: z.string(), qrSvg: z.string(), revoked: z.boolean() }),
  },

  // imports (organizer, online): CSV import of attendees (imports.ts). The renderer reads the file
  // and hands core its bytes: the first IMPORT_PREVIEW_BYTES to preview, then the whole file in
  // base64 chunks of at most IMPORT_CHUNK_BYTES, which core streams to the server as they come.
  /** Reads the first rows of a file with the chosen (or guessed) preset or mapping. */
  'imports.preview': {
    params: z.strictObject({
      eventId: idSchema,
      /** The file's first bytes, base64. */
      head: z.string().max(Math.ceil(IMPORT_PREVIEW_BYTES / 3) * 4),
      /** The head is the whole file (its last line is complete). */
      complete: z.boolean(),
      encoding: importEncodingSchema.default('auto'),
      preset: importPresetSchema.optional(),
      mapping: importMappingSchema.optional(),
    }),
    result: importPreviewSchema,
  },
  /** Opens the upload to the server; IMPORT_TOO_LARGE at once for a file over the limit. */
  'imports.start': {
    params: z.strictObject({
      eventId: idSchema,
      size: z.number().int().min(0),
      encoding: importEncodingSchema.default('auto'),
      preset: importPresetSchema.optional(),
      mapping: importMappingSchema.optional(),
      dryRun: z.boolean().optional(),
    }),
    result: z.object({ importId: z.string() }),
  },
  /** The next bytes (base64); answers once the server has taken them, so the answers pace the progress bar. */
  'imports.chunk': {
    params: z.strictObject({
      importId: z.string().max(64),
      bytes: z.string().max(Math.ceil(IMPORT_CHUNK_BYTES / 3) * 4),
    }),
    result: z.object({ sent: z.number().int() }),
  },
  /** Ends the file and waits for the server's summary. */
  'imports.finish': { params: z.strictObject({ importId: z.string().max(64) }), result: importSummarySchema },
  /** How far the server is (checking, rows written of rows to write), asked while `finish` waits; null: nothing yet. */
  'imports.progress': {
    params: z.strictObject({ importId: z.string().max(64) }),
    result: z.object({ progress: importProgressSchema.nullable() }),
  },
  'imports.cancel': { params: z.strictObject({ importId: z.string().max(64) }), result: ok },

  // check-in
  'checkin.scan': {
    params: z.strictObject({
      eventId: idSchema,
      gate: gateSchema,
      scan: z.string().max(20_000),
      /** The gate's mode: entry (the default) or exit. */
      direction: checkinDirectionSchema.optional(),
    }),
    result: scanResultSchema,
  },
  /** The attendee's photo as this device holds it (never fetched for the asking); null when not here. */
  'checkin.photo': { params: z.strictObject({ bookingId: idSchema }), result: photoDataSchema },
  'checkin.manual': {
    params: z.strictObject({
      eventId: idSchema,
      gate: gateSchema,
      bookingId: idSchema,
      direction: checkinDirectionSchema.optional(),
    }),
    result: scanResultSchema,
  },
  /**
   * Undoes an admission (a `checkin.void`): this device's own within VOID_WINDOW_MS, or any for the
   * event's organizer or an admin. FORBIDDEN / CONFLICT with the rule's words otherwise.
   */
  'checkin.undo': {
    params: z.strictObject({ eventId: idSchema, checkinId: idSchema, gate: gateSchema }),
    result: checkinSchema,
  },
  /** Refused scans of an event (every door's, as synced), newest first: the door's audit. */
  'checkin.refusals': {
    params: z.strictObject({ eventId: idSchema, limit: z.number().int().min(1).max(500) }),
    result: z.array(refusalSchema.extend({ attendeeName: z.string() })),
  },
  'checkin.search': {
    params: z.strictObject({
      eventId: idSchema,
      q: z.string().min(1).max(200),
      limit: z.number().int().min(1).max(50),
    }),
    result: z.array(bookingRowSchema),
  },
  'checkin.recent': {
    params: z.strictObject({ eventId: idSchema, gate: gateSchema.optional(), limit: z.number().int().min(1).max(100) }),
    result: z.array(checkinSchema.extend({ attendeeName: z.string(), verdict: z.string() })),
  },

  // sync
  'sync.status': { params: nothing, result: syncStatusSchema },
  'sync.now': { params: nothing, result: syncStatusSchema },
  /** Alerts of one event (or all on this device), newest first, with the guest's name and event's title ('' when not held). */
  'sync.alerts': {
    params: z.strictObject({ eventId: idSchema.optional(), unacknowledgedOnly: z.boolean().optional() }),
    result: z.array(alertSchema.extend({ attendeeName: z.string(), eventTitle: z.string() })),
  },
  /**
   * Acknowledges an alert on this device (an `alert.acknowledge`, queued and synced; works offline)
   * and answers the alert as it now shows (one already acknowledged as it is, nothing queued).
   * ALERT_NOT_FOUND for an alert not on this device or not of `eventId`; FORBIDDEN for a role that
   * does not see the door (attendees).
   */
  'alerts.acknowledge': {
    params: z.strictObject({
      eventId: idSchema,
      alertId: idSchema,
      note: z.string().trim().min(1).max(MAX_ACKNOWLEDGEMENT_NOTE).optional(),
    }),
    result: alertSchema,
  },
  'sync.dismissRejected': { params: z.strictObject({ mutationId: z.string() }), result: ok },
  /** Moves a damaged local database aside (kept) and resyncs; unsent changes still readable are kept. */
  'sync.recoverStore': {
    params: nothing,
    result: z.object({ movedTo: z.string(), salvagedMutations: z.number().int() }),
  },

  // admin (online pass-through to the sync server)
  'admin.users.list': {
    params: z.strictObject({ q: z.string().max(200).optional(), cursor: z.string().optional() }),
    result: z.object({ items: z.array(userSchema), nextCursor: z.string().nullable() }),
  },
  'admin.users.update': {
    params: z.strictObject({ userId: idSchema, patch: userAdminPatchSchema }),
    result: userSchema,
  },
  'admin.devices.list': { params: nothing, result: z.array(deviceSchema) },
  'admin.devices.revoke': { params: z.strictObject({ deviceId: z.string() }), result: ok },
  'admin.mail.list': {
    params: z.strictObject({ status: mailStatusSchema.optional() }),
    result: z.array(mailMessageSchema),
  },
  'admin.mail.retry': { params: z.strictObject({ messageId: mailIdSchema }), result: ok },
  'admin.mail.discard': { params: z.strictObject({ messageId: mailIdSchema }), result: ok },
  /** Signs a user out everywhere (their devices keep data and outbox and ask them to sign in). */
  'admin.users.endSessions': { params: z.strictObject({ userId: idSchema }), result: sessionsEndedSchema },
  /** Applies a file of unsent changes a revoked or disabled device saved (protocol/src/unsent.ts). */
  'admin.devices.importUnsent': {
    params: z.strictObject({ file: unsentExportSchema }),
    result: unsentImportResultSchema,
  },

  // profile (online: the signed-in user's own sessions and password)
  'profile.sessions.list': { params: nothing, result: z.array(userSessionSchema) },
  'profile.sessions.end': { params: z.strictObject({ sessionId: idSchema }), result: ok },
  'profile.sessions.endOthers': { params: nothing, result: sessionsEndedSchema },
  /** Also renews this device's offline-unlock verifier, so the old password no longer unlocks it. */
  'profile.password.change': { params: passwordChangeRequestSchema, result: sessionsEndedSchema },
  /** Renames the signed-in user (`PATCH /users/me`); the session and this device's sign-in list follow. */
  'profile.rename': { params: userSelfPatchSchema, result: userSchema },
  /** The email change waiting for its code, if any. */
  'profile.emailChange.get': { params: nothing, result: emailChangeStateSchema },
  /** Mails a code to the new address; the email stays as it is until the code is confirmed. */
  'profile.emailChange.request': { params: emailChangeRequestSchema, result: emailChangeStateSchema },
  /** Confirms with the code from the mail; the session and offline unlock take the new email. */
  'profile.emailChange.confirm': { params: emailChangeConfirmSchema, result: emailChangeConfirmedSchema },

  // photos (online only: OFFLINE when the server cannot be reached; protocol/src/images.ts)
  /** Uploads the signed-in user's profile photo; the server answers the stored (re-encoded) image. */
  'photos.setMine': { params: photoUploadSchema, result: photoSchema },
  'photos.removeMine': { params: nothing, result: ok },
  /** The signed-in user's profile photo, fetched from the server; null when they have none. */
  'photos.mine': { params: nothing, result: photoDataSchema },
  /** Sets an attendee's photo on a booking (the event's organizer or an admin). */
  'photos.setBooking': { params: photoUploadSchema.extend({ bookingId: idSchema }), result: photoSchema },
  'photos.removeBooking': { params: z.strictObject({ bookingId: idSchema }), result: ok },
  /** A booking's attendee photo, fetched from the server; null when it has none. */
  'photos.booking': { params: z.strictObject({ bookingId: idSchema }), result: photoDataSchema },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type RpcMethod = keyof typeof rpcMethods;
export type RpcParams<M extends RpcMethod> = z.input<(typeof rpcMethods)[M]['params']>;
export type RpcResult<M extends RpcMethod> = z.infer<(typeof rpcMethods)[M]['result']>;

/** Pushed from core to every connected UI. */
export const rpcTopics = {
  'sync.status': syncStatusSchema,
  /** Which local tables changed, so screens refetch only what they show. */
  'data.changed': z.object({ tables: z.array(z.string()), eventIds: z.array(z.string()) }),
  'session.changed': sessionStateSchema,
  /** Electron shell only: token storage mode and core restarts after a crash (the UI shows a notice). */
  'shell.status': shellStatusSchema,
} as const;
export type RpcTopic = keyof typeof rpcTopics;
export type RpcTopicPayload<T extends RpcTopic> = z.infer<(typeof rpcTopics)[T]>;

/** Frames every transport carries. */
export const rpcRequestFrameSchema = z.strictObject({
  type: z.literal('request'),
  id: z.number().int(),
  method: z.string().max(64),
  params: z.unknown(),
});
export type RpcRequestFrame = z.infer<typeof rpcRequestFrameSchema>;
export type RpcResponseFrame =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | {
      type: 'response';
      id: number;
      ok: false;
      /** `details`: which input was wrong (VALIDATION_FAILED), as the server's error body carries them. */
      error: { code: z.infer<typeof errorCodeSchema>; message: string; details?: ErrorDetail[] };
    };
export type RpcEventFrame = { type: 'event'; topic: RpcTopic; payload: unknown };
export type RpcServerFrame = RpcResponseFrame | RpcEventFrame;

export const roleLabels: Record<z.infer<typeof roleSchema>, string> = {
  admin: 'Admin',
  organizer: 'Organizer',
  staff: 'Check-in staff',
  attendee: 'Attendee',
};

/**
 * What the renderer sees of core, whatever the transport: Electron's preload exposes exactly this
 * as `window.gatehouse`; the browser host's WebSocket client implements the same interface.
 * Rejections carry `{ code, message, details? }` with a code from ERROR_CODES.
 */
export interface GatehouseBridge {
  invoke<M extends RpcMethod>(method: M, params: RpcParams<M>): Promise<RpcResult<M>>;
  subscribe<T extends RpcTopic>(topic: T, listener: (payload: RpcTopicPayload<T>) => void): () => void;
}

/**
 * Browser host handshake: the host writes a random per-run token into the page (meta tag below); the
 * page's WebSocket must present it in its first message, so no other local page can drive the core.
 */
export const HOST_TOKEN_META_NAME = 'gatehouse-host-token';
/** Optional: the sync server URL the host was started with, pre-filled on the sign-in screen. */
export const HOST_SERVER_URL_META_NAME = 'gatehouse-server-url';
export const HOST_RPC_PATH = '/rpc';
export const hostHelloFrameSchema = z.strictObject({ type: z.literal('hello'), token: z.string().min(16).max(128) });
export type HostHelloFrame = z.infer<typeof hostHelloFrameSchema>;
export type HostReadyFrame = { type: 'ready' };
