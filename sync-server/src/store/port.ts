import type { Attendee, ErrorCode, EventStatus, MailStatus, Role } from '@gatehouse/protocol';
import type {
  AlertAcknowledgementRow,
  AlertRow,
  BlobRow,
  BookingRow,
  NewAlertRow,
  ChangeRow,
  PulledChange,
  CheckinRow,
  ComposedMailRow,
  DeviceRow,
  EventRow,
  EventSet,
  MailHandoff,
  MailRow,
  RefreshTokenRow,
  RefusalRow,
  SeatCounts,
  StoredResult,
  TicketKeyRow,
  UserRow,
} from './rows';

/**
 * The storage port: what the sync server's domains need from a database, one repository per
 * domain, in the domain's own terms. Two adapters implement it — `sqlite/` (the default, embedded)
 * and `mongodb/` (scale-out; also FerretDB) — and one contract suite (`test/store-contract.*`) runs
 * against both.
 *
 * Rules every adapter keeps:
 * - A method is a whole domain operation, atomic as the adapter can make it: on SQLite one
 *   transaction; on MongoDB single-document atomic writes, unique inserts and repair sweeps. The
 *   port has no generic `transaction()`.
 * - Every write a device may see appends its change to the row's bucket (`event:<id>`,
 *   `user:<id>`) with the next `seq`, and bumps the row's `rev`, within the same operation.
 * - Methods that page take `limit` and return up to `limit + 1` rows, so the caller knows whether
 *   another page exists without a count; `after` is the last row's sort key.
 * - Failures a client can act on are `GatehouseError`s with stable codes (see `store/errors.ts`);
 *   a database that is busy, unreachable or full is `SERVICE_UNAVAILABLE` / `SERVER_STORAGE_FULL`
 *   (503), never a 500.
 * - Callbacks passed in (`edit`, `deriveAlerts`, `codes`, `mailFor`, `overCapacityAlert`) are
 *   synchronous, touch nothing outside their result, and are safe to call more than once (they may
 *   stamp the time or draw a random code): an adapter calls them inside a transaction, and again
 *   when it retries.
 */
export interface Store {
  /** `sqlite` or `mongodb`, for logs, `/health` and bench lines. */
  readonly kind: StoreKind;
  /** Where the data lives, for the start-up log: a file path, or a URI without credentials. */
  readonly location: string;
  readonly users: UserRepository;
  readonly emailChanges: EmailChangeRepository;
  readonly sessions: SessionRepository;
  readonly lockouts: LockoutRepository;
  readonly devices: DeviceRepository;
  readonly events: EventRepository;
  readonly ticketKeys: TicketKeyRepository;
  readonly bookings: BookingRepository;
  readonly idempotency: IdempotencyRepository;
  readonly checkins: CheckinRepository;
  readonly alerts: AlertRepository;
  readonly refusals: RefusalRepository;
  readonly mutations: MutationLedger;
  readonly changes: ChangeFeed;
  readonly mail: MailRepository;
  readonly secrets: SecretRepository;
  readonly blobs: BlobRepository;
  readonly importProgress: ImportProgressRepository;
  /** Throws SERVICE_UNAVAILABLE when the database does not answer within ~2 s (`/ready`). */
  ping(): Promise<void>;
  /** Stops the adapter's background work (letting a run in flight finish), then closes the database. */
  close(): Promise<void>;
}

export type StoreKind = 'sqlite' | 'mongodb';

/**
 * How far one CSV import is (imports/service.ts), keyed by event and the import id its client
 * chose: `checking` while the file is read (`rowsRead` so far), `writing` with `rowsTotal` rows to
 * write and `rowsWritten` of them done (a chunk of 1,000 at a time), then `done` or `failed`.
 */
export type ImportProgressRow = {
  eventId: string;
  importId: string;
  /** Who runs the import; only they (or an admin) read its progress. */
  userId: string;
  phase: 'checking' | 'writing' | 'done' | 'failed';
  rowsRead: number;
  rowsTotal: number | null;
  rowsWritten: number;
  /** Epoch ms of this record. */
  updatedAtMs: number;
};

/**
 * Progress of running imports, in the store so that any server process can answer for an import
 * another one runs. Records older than a day are dropped as new imports start.
 */
export interface ImportProgressRepository {
  /** Replaces the import's record (the one writer is the import itself). */
  record(row: ImportProgressRow): Promise<void>;
  /** The import's latest record, or null. */
  get(eventId: string, importId: string): Promise<ImportProgressRow | null>;
  /** Drops records last written before `beforeMs`. */
  prune(beforeMs: number): Promise<void>;
}

/** Who is asking, for queries that carry authorization inside them. */
export type Viewer = { id: string; role: Role };

/**
 * A keyset position: the creation time (as the row stores it) and id of the last row of the
 * previous page. Lists page only on keys a row never changes (http/pagination.ts), so a walk lists
 * every row that exists for the whole walk exactly once.
 */
export type After<V extends string | number = string | number> = { value: V; id: string };

/**
 * Server secrets kept with the data (the JWT signing key, from which cursor keys derive too), so a
 * backup, a restore or a migration to MongoDB keeps every session and cursor valid, and several
 * server processes on one database share them.
 */
export interface SecretRepository {
  /** The stored value of `name`; stores `candidate` first if there is none (the first writer wins). */
  ensure(name: string, candidate: string): Promise<string>;
}

// ─── blobs ───────────────────────────────────────────────────────────────────────────────────────

/** A blob as read back: its description and its bytes. */
export type StoredBlob = { row: BlobRow; bytes: Buffer };

/**
 * Binary content (photos, a few hundred kB at most) by id. `put` replaces what the id held, and a
 * reader never sees a mix of an old and a new blob: it gets one of them whole. On SQLite one row of
 * a `blobs` table; on MongoDB chunk documents of `BLOB_CHUNK_BYTES` read by `_id` only, plus a head
 * document (adapter notes).
 */
export interface BlobRepository {
  /** Stores `bytes` under `id` (replacing any earlier blob there) and returns its description. */
  put(input: { id: string; contentType: string; bytes: Buffer; at: string }): Promise<BlobRow>;
  /** The blob, or null when there is none. */
  get(id: string): Promise<StoredBlob | null>;
  /** Removes the blob; false when there was none. */
  delete(id: string): Promise<boolean>;
}

// ─── users and sessions ──────────────────────────────────────────────────────────────────────────

export type NewUser = Pick<UserRow, 'email' | 'name' | 'role' | 'passwordHash'>;
export type UserPatch = Partial<Pick<UserRow, 'name' | 'role' | 'disabled' | 'passwordHash' | 'photoId'>>;

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

export interface UserRepository {
  /** Inserts a new user (rev 1) and publishes the profile to `user:<id>`. EMAIL_TAKEN when the email exists. */
  create(input: NewUser & { id: string; at: string }): Promise<UserRow>;
  findById(id: string): Promise<UserRow | null>;
  findByEmail(email: string): Promise<UserRow | null>;
  findByIds(ids: string[]): Promise<UserRow[]>;
  /** By (createdAt, id) ascending; `q` matches a substring of email or name, case-insensitive. */
  list(filter: { q?: string; role?: Role }, after: After<string> | undefined, limit: number): Promise<UserRow[]>;
  /** Applies the patch, bumps rev and publishes the profile; null when the user does not exist. */
  update(id: string, patch: UserPatch, at: string): Promise<UserRow | null>;
  /** Publishes the current profile again (a user bucket that has none yet gets it on first pull). */
  publish(id: string): Promise<void>;
  countActiveAdmins(): Promise<number>;
  /** Enabled users with one of `roles`, not in `excludeIds`, matching `q` (name or email), by name. */
  staffCandidates(input: { roles: Role[]; excludeIds: string[]; q?: string; limit: number }): Promise<UserRow[]>;
}

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

/** Failed sign-ins per key (`pair:<email>:<ip>`, `account:<email>`); see auth/lockout.ts for the policy. */
export interface LockoutRepository {
  /** The latest `lockedUntilMs` of these keys, 0 when none is locked. */
  lockedUntil(keys: string[]): Promise<number>;
  /** Counts one more failure, atomically; returns the count after it. */
  recordFailure(key: string, nowMs: number): Promise<number>;
  lock(key: string, untilMs: number): Promise<void>;
  clear(key: string): Promise<void>;
}

export interface DeviceRepository {
  /**
   * Records that `deviceId` synced for `userId` now (inserting it on first sight, moving it to the
   * user who signs in on it) and returns it; `clockOffsetMs` is kept when given.
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

// ─── events, tickets, bookings ───────────────────────────────────────────────────────────────────

/**
 * An event edit, computed from the event as it is now (and its seat counts). Null: nothing to
 * write. It may throw a GatehouseError (the edit is invalid against the current row).
 */
export type EventEdit = (current: EventRow, counts: SeatCounts) => { set: EventSet; mail: string[] } | null;

export type EventListFilter = {
  q?: string;
  status?: EventStatus;
  /** Events ending at or after (ms). */
  endsFromMs?: number;
  /** Events starting before (ms). */
  startsBeforeMs?: number;
};

/** What the organizer's stats are computed from (events/stats.ts). */
export type EventStatsFacts = {
  seats: Array<{ ticketTypeId: string; status: 'confirmed' | 'cancelled'; seats: number }>;
  /** Every scan of the event, with its booking's type and status (null when the booking is gone). */
  scans: Array<{
    id: string;
    hlc: string;
    bookingId: string;
    ticketTypeId: string | null;
    bookingStatus: 'confirmed' | 'cancelled' | null;
    gate: string;
    direction: 'in' | 'out' | 'void';
    voids?: string | undefined;
    scannedAt: string;
  }>;
};

export interface EventRepository {
  /** Inserts the event (rev 1) with its first ticket key, logging both to `event:<id>`. */
  insert(row: Omit<EventRow, 'rev'>, firstKey: Omit<TicketKeyRow, 'rev'>): Promise<EventRow>;
  /** A live (not deleted) event, with seat counts as of every booking write that has answered. */
  findById(id: string): Promise<EventRow | null>;
  /** The event if `viewer` may read it: admin; published; its organizer; its staff. */
  findVisible(id: string, viewer: Viewer): Promise<EventRow | null>;
  /** Visible events by (createdAt, id) ascending — never by start, which an edit moves. */
  list(viewer: Viewer, filter: EventListFilter, after: After<string> | undefined, limit: number): Promise<EventRow[]>;
  /** Events whose bucket `viewer`'s devices receive: admin all; organizer own or staffed; staff staffed. */
  accessibleIds(viewer: Viewer): Promise<string[]>;
  /** Applies `edit` to the current row atomically (retrying on MongoDB if the row moved); null when gone. */
  update(id: string, edit: EventEdit): Promise<EventRow | null>;
  setStaff(id: string, staffIds: string[], at: string): Promise<EventRow | null>;
  /** Soft delete: the bucket gets `doc: null`. False when already gone. */
  remove(id: string, at: string): Promise<boolean>;
  seatCounts(id: string): Promise<SeatCounts>;
  /**
   * Live events whose `eraseAttendeesAfterDays` has passed since they ended (endsAt + days ≤
   * `nowMs`), at most `limit`, by id: the retention sweeper erases their attendees. An event whose
   * attendees are all erased stays in this list (a booking added later is erased too); the sweeper
   * finds nothing to do for it.
   */
  dueForErasure(nowMs: number, limit: number): Promise<string[]>;
  statsFacts(id: string): Promise<EventStatsFacts>;
}

export interface TicketKeyRepository {
  /** Inserts a key (rev 1) and logs its public half to the event's bucket. */
  insert(row: Omit<TicketKeyRow, 'rev'>): Promise<TicketKeyRow>;
  /** Oldest first. */
  listForEvent(eventId: string): Promise<TicketKeyRow[]>;
  /** The newest key not retired, or null. */
  signingKey(eventId: string): Promise<TicketKeyRow | null>;
}

export type NewBooking = Pick<
  BookingRow,
  | 'id'
  | 'eventId'
  | 'userId'
  | 'ticketTypeId'
  | 'quantity'
  | 'attendee'
  | 'source'
  | 'createdAt'
  | 'externalId'
  | 'orderedAt'
>;

/** One attendee of a CSV import, its ticket type resolved (imports/service.ts). Always one seat. */
export type ImportRowInput = {
  /** The line of the file the row starts on, echoed in its outcome. */
  line: number;
  /** The id a booking made for it takes. */
  id: string;
  externalId: string | null;
  attendee: Attendee;
  ticketTypeId: string;
  /** The order date read from the file (UTC ISO), or null when the row has none. */
  orderedAt: string | null;
};

/** What became of one import row; `refused` carries a stable code (SOLD_OUT, IMPORT_BOOKING_CANCELLED). */
export type ImportRowOutcome =
  | { line: number; kind: 'created' | 'updated' | 'unchanged'; bookingId: string }
  | { line: number; kind: 'refused'; code: ErrorCode; message: string };

/** A chunk of an import: its rows, and what every new booking of it shares. */
export type ImportChunk = {
  eventId: string;
  /** Who imports (the new bookings' `userId`). */
  userId: string;
  createdAt: string;
  rows: ImportRowInput[];
  /** The booking code to try at attempt 0, 1, … for a new booking. */
  codes: (attempt: number) => string;
};

export type BookInput = {
  booking: NewBooking;
  /** `enforce`: SOLD_OUT beyond capacity or quota (online). `flag`: accept and set overCapacity (walk-ins). */
  limits: 'enforce' | 'flag';
  /** Event statuses that accept this booking; otherwise EVENT_NOT_BOOKABLE. */
  statuses: EventStatus[];
  /** The booking code to try at attempt 0, 1, … (a collision within the event draws the next). */
  codes: (attempt: number) => string;
  /** Mail owed for the new booking (a hand-off). */
  mail: string[];
  /** An alert to raise with a booking accepted over capacity. */
  overCapacityAlert?: (row: BookingRow) => NewAlertRow;
};

/**
 * What an erasure writes (BookingRepository.erase). `alertText` gives an alert of the booking its
 * text without the attendee's name (pure; the alert texts are the checkins/bookings domains').
 */
export type ErasureInput = {
  at: string;
  alertText: (alert: AlertRow) => string;
};

/** `replayed`: a booking with this id existed already (a retried walk-in or idempotent request). */
export type BookOutcome = { row: BookingRow; replayed: boolean };

/** Booking list filter: `words` must each prefix-match a word of the attendee's name, email or the code. */
export type BookingListFilter = { status?: 'confirmed' | 'cancelled'; words?: string[] };

export interface BookingRepository {
  /**
   * Adds a booking and updates the event's seat counts, atomically, judging capacity and quota by
   * the event as it is at that moment (so a lowered capacity holds at once). Errors: NOT_FOUND (no
   * such event), EVENT_NOT_BOOKABLE, UNPROCESSABLE (unknown ticket type), SOLD_OUT (with `N left`),
   * CONFLICT (the id belongs to a booking of another event).
   */
  book(input: BookInput): Promise<BookOutcome>;
  /**
   * Cancels a confirmed booking, giving its seats back; `mailFor` names the mail owed. Repeating
   * it is harmless (`changed: false`). Null when there is no such booking.
   */
  cancel(
    id: string,
    at: string,
    mailFor: (row: BookingRow) => string[],
  ): Promise<{ row: BookingRow; changed: boolean } | null>;
  /**
   * Adds many confirmed bookings to one event in bulk (a guest-list import, demo data, the bench),
   * logging each and updating the event's seat counts once. Rows whose id exists are skipped;
   * capacity is not enforced (an import is the organizer's decision). Returns how many were added.
   * Codes must be unique within the event (CONFLICT otherwise, nothing added).
   */
  importMany(eventId: string, rows: Array<NewBooking & { code: string }>): Promise<number>;
  /**
   * One chunk of a CSV import (the issue's `importBookings`), atomic on SQLite, row by row on
   * MongoDB, each row's outcome returned in order. A row is matched to a booking of the event by
   * its external id, else — when it has an email — by email and folded name among bookings without
   * an external id (which then takes the row's). A match whose name, email or ticket type differs
   * is updated (rev bumped, change logged; a type change needs room in the new type's quota); a
   * match of a cancelled booking is refused IMPORT_BOOKING_CANCELLED. A row without a match
   * becomes a confirmed booking (`source: 'import'`) if capacity and its type's quota leave a seat
   * — judged as for online bookings — and is refused SOLD_OUT otherwise. Thrown for the whole
   * chunk: NOT_FOUND (no such event), EVENT_NOT_BOOKABLE (not draft or published), UNPROCESSABLE
   * (a ticket type the event lacks). No mail is owed.
   */
  importRows(chunk: ImportChunk): Promise<ImportRowOutcome[]>;
  /**
   * Erases the attendee's personal data (name → ERASED_ATTENDEE_NAME, no email, `erasedAt` = `at`):
   * the booking keeps id, code, ticket type, status and check-ins, and its new version is logged
   * (rev + 1) so every device replaces what it holds. In the same operation the data is scrubbed
   * from where else the store keeps it: every earlier change-log entry of the booking (so an
   * initial sync, or the log on disk, never carries it), the booking's search words, its alerts
   * (text by `alertText`, logged again) and their earlier entries, its mail (address, name, bodies,
   * attachments; unsent messages are discarded, hand-offs dropped) and the answers kept for its
   * Idempotency-Keys, and its photo (blob `booking:<id>`, `photoId` cleared) — this method is the
   * one place an erasure happens. Repeating it answers `changed: false` (on MongoDB, which has no
   * transactions, it also finishes the scrubbing of an erasure cut off half-way). Null when there
   * is no such booking.
   */
  erase(id: string, input: ErasureInput): Promise<{ row: BookingRow; changed: boolean } | null>;
  /** Ids of up to `limit` of the event's bookings not erased yet, oldest first (the retention sweeper's batches). */
  listNotErased(eventId: string, limit: number): Promise<string[]>;
  findById(id: string): Promise<BookingRow | null>;
  /**
   * The event's booking with this door code (exact: codes are stored upper case, so a caller folds
   * what a person typed first), or null. One lookup by the `(event, code)` unique index.
   */
  findByCode(eventId: string, code: string): Promise<BookingRow | null>;
  /**
   * The event's booking with this external id (the ticket shop's id a CSV import kept, exact), or
   * null. One lookup by the `(event, externalId)` index the import matches with.
   */
  findByExternalId(eventId: string, externalId: string): Promise<BookingRow | null>;
  /** The bookings of these ids that exist, in no particular order (an export's page of scans names them). */
  findByIds(ids: string[]): Promise<BookingRow[]>;
  /** By (createdAt, id) ascending. */
  listForEvent(
    eventId: string,
    filter: BookingListFilter,
    after: After<string> | undefined,
    limit: number,
  ): Promise<BookingRow[]>;
  /** A user's own online bookings, by (createdAt, id) descending. */
  listForUser(userId: string, after: After<string> | undefined, limit: number): Promise<BookingRow[]>;
  /**
   * Sets (or, with null, removes) the booking's photo id, bumping its rev and logging it to the
   * event's bucket so devices learn of it; unchanged when it already has that id. Null when there is
   * no such booking.
   */
  setPhoto(id: string, photoId: string | null): Promise<BookingRow | null>;
}

/** The answer a request with an Idempotency-Key gave, replayed to its retries: status and JSON body text. */
export type IdempotentAnswer = { status: number; body: string };

/**
 * A taken key: the request it was taken for (`requestHash`), the id that request creates under
 * (`resourceId`), when it was taken (ms since epoch), and its answer once it has one.
 */
export type IdempotencyClaim =
  | { kind: 'new' }
  | {
      kind: 'existing';
      requestHash: string;
      resourceId: string;
      createdAtMs: number;
      answer: IdempotentAnswer | null;
    };

/**
 * Idempotency-Key claims of the routes that declare `idempotent` (http/idempotency.ts), keyed
 * `<userId>:<key>`. Adapters forget claims some time after `createdAtMs` (IDEMPOTENCY_KEY_TTL_HOURS;
 * the MongoDB TTL index, the SQLite purge); until then the caller judges expiry itself.
 */
export interface IdempotencyRepository {
  /** Claims `key` for a request creating under `resourceId` unless it is taken; a taken key answers what holds it. */
  claim(key: string, requestHash: string, resourceId: string, nowMs: number): Promise<IdempotencyClaim>;
  /** Records the answer of the claim if it still names `resourceId`. */
  complete(key: string, resourceId: string, answer: IdempotentAnswer): Promise<void>;
  /** Releases the claim if it still names `resourceId`. */
  release(key: string, resourceId: string): Promise<void>;
}

// ─── check-ins and alerts ────────────────────────────────────────────────────────────────────────

/** What duplicate-entry detection needs to know of one scan. */
export type ScanFact = {
  checkinId: string;
  direction: 'in' | 'out' | 'void';
  hlc: string;
  gate: string;
  /** On a void: the admission it undoes. */
  voids?: string | undefined;
};

/**
 * The alerts a scan makes, from its booking and every scan of that booking the store holds (this
 * one included). Pure; the store raises those that do not exist yet, in the same operation.
 */
export type DeriveAlerts = (booking: BookingRow, scan: CheckinRow, history: ScanFact[]) => Array<NewAlertRow>;

export interface CheckinRepository {
  /**
   * Records one scan (an append-only fact) and the alerts it makes. Idempotent on the check-in id:
   * the same scan again is `repeated` (alerts re-derived); another scan under that id is CONFLICT;
   * a booking that is not in the scan's event is NOT_FOUND.
   */
  record(row: Omit<CheckinRow, 'rev'>, deriveAlerts: DeriveAlerts): Promise<{ row: CheckinRow; repeated: boolean }>;
  findById(id: string): Promise<CheckinRow | null>;
  listForBooking(bookingId: string): Promise<CheckinRow[]>;
  /** Every scan of the event, by id (tests, audits; an event has at most a few scans per ticket). */
  listForEvent(eventId: string): Promise<CheckinRow[]>;
  /**
   * Every scan of these bookings (at most a few per ticket), in no particular order: the door state
   * of one page of an export's bookings, read in one query.
   */
  listForBookings(bookingIds: string[]): Promise<CheckinRow[]>;
  /**
   * The event's scans in door order — (hlc, id) ascending, keys a scan never changes — after
   * `after` (the last row's hlc and id), up to `limit + 1` rows: the check-in log export's pages.
   */
  pageForEvent(eventId: string, after: After<string> | undefined, limit: number): Promise<CheckinRow[]>;
  countForEvent(eventId: string): Promise<number>;
}

export interface RefusalRepository {
  /**
   * Records one refused scan (rev 1, logged to its event's bucket). Idempotent on the id: the same
   * refusal again is `repeated`; another under that id is CONFLICT.
   */
  record(row: Omit<RefusalRow, 'rev'>): Promise<{ row: RefusalRow; repeated: boolean }>;
  /** Newest first by HLC, at most `limit`. */
  listForEvent(eventId: string, limit: number): Promise<RefusalRow[]>;
  /** As CheckinRepository.pageForEvent: (hlc, id) ascending after `after`, up to `limit + 1` rows. */
  pageForEvent(eventId: string, after: After<string> | undefined, limit: number): Promise<RefusalRow[]>;
}

export interface AlertRepository {
  /** Creates the alert once (rev 1, logged); false when it already existed. */
  raise(row: NewAlertRow): Promise<boolean>;
  /** Newest first. */
  listForEvent(eventId: string, limit: number): Promise<AlertRow[]>;
  /**
   * Acknowledges the alert `alertId` of `eventId`: stored (rev + 1, logged to the event's bucket)
   * when it wins — the first acknowledgement by HLC, then id (protocol acknowledgementWins) — and
   * otherwise left as it is (`changed: false`, answered as applied: the alert is acknowledged
   * either way). ALERT_NOT_FOUND when the event has no such alert.
   */
  acknowledge(
    alertId: string,
    eventId: string,
    acknowledgement: AlertAcknowledgementRow,
  ): Promise<{ row: AlertRow; changed: boolean }>;
  findById(id: string): Promise<AlertRow | null>;
}

// ─── sync: the exactly-once ledger and the change feed ──────────────────────────────────────────

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

export type CommittedChange = { bucket: string; seq: number };

export interface ChangeFeed {
  /**
   * Up to `limit` changes of `bucket` after `afterSeq`, in seq order and gap-free: never past a
   * seq that may still appear. `upTo` is where a reader's cursor may move (no-op entries are
   * skipped but counted).
   */
  read(bucket: string, afterSeq: number, limit: number): Promise<{ changes: ChangeRow[]; upTo: number }>;
  /**
   * `read` for a pull answer: the same changes and `upTo`, each doc as its stored JSON text where the
   * adapter keeps one (SQLite: `docJson`, no parse per change), or parsed (`doc`, MongoDB).
   */
  readForPull(bucket: string, afterSeq: number, limit: number): Promise<{ changes: PulledChange[]; upTo: number }>;
  /** The highest seq of each bucket (0 for one with no changes); an estimate for progress. */
  heads(buckets: string[]): Promise<Map<string, number>>;
  /**
   * Calls `listener` after changes become readable: those of this process at once, those of
   * other processes on the same database within a poll interval. Returns the unsubscribe.
   */
  watch(listener: (change: CommittedChange) => void): () => void;
}

// ─── mail ───────────────────────────────────────────────────────────────────────────────────────

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
