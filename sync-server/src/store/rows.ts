import type {
  Attendee,
  BookingStatus,
  EventStatus,
  MailKind,
  MailStatus,
  RefusalReason,
  Role,
} from '@gatehouse/protocol';

/**
 * Rows as the storage port speaks them: plain data, named in the domain's terms, with no driver
 * type in sight. Each adapter maps them to its own layout (SQLite columns, MongoDB documents with
 * `_id`). Instants that devices or people see are ISO 8601 strings (UTC, `Z`); instants only the
 * server compares (leases, expiry) are epoch milliseconds.
 */

/** A row whose versions devices receive through the change log; `rev` grows with every write. */
export type LoggedRow = { id: string; rev: number };

export type UserRow = LoggedRow & {
  /** Lower-case, trimmed; unique. */
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  /** scrypt hash (see auth/passwords); never leaves the server. */
  passwordHash: string;
  createdAt: string;
  updatedAt: string;
  /** The profile photo: its blob `user:<id>`'s SHA-256 (protocol's photoId). Missing or null: none. */
  photoId?: string | null;
};

/** One refresh token of a session family (RFC 9700 §4.14.2 rotation). The token itself is never stored. */
export type RefreshTokenRow = {
  /** SHA-256 of the token, base64url. */
  hash: string;
  familyId: string;
  userId: string;
  deviceId: string | null;
  createdAtMs: number;
  expiresAtMs: number;
  /** Set when this token was exchanged for the next one in its family. */
  rotatedAtMs: number | null;
  revokedAtMs: number | null;
};

export type DeviceRow = {
  /** The device's own UUID, sent as X-Device-Id on every sync call. */
  id: string;
  userId: string;
  name: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  revoked: boolean;
  revokedAt: string | null;
  /** Device clock minus server clock at its last push, ms. */
  clockOffsetMs: number | null;
  /**
   * The session (refresh-token family) that last synced as this device: revoking the device ends
   * it too, even when its sign-in named no device (a script's).
   */
  sessionId: string | null;
};

/** `requiresPhoto` missing (types saved before photos existed): false. */
export type TicketTypeRow = { id: string; name: string; price: number; quota: number; requiresPhoto?: boolean };

/**
 * An event. `bookedCount` / `typeSold` are the seats held by confirmed bookings (walk-ins
 * included), kept by the store: exact after every booking write on SQLite, a recounted snapshot on
 * MongoDB. Devices and responses read them.
 */
export type EventRow = LoggedRow & {
  title: string;
  description: string;
  venue: string;
  startsAt: string;
  endsAt: string;
  /** Instants as numbers, for range filters and sorting: ISO strings with offsets do not sort. */
  startsAtMs: number;
  endsAtMs: number;
  timezone: string;
  capacity: number;
  status: EventStatus;
  ticketTypes: TicketTypeRow[];
  /** Whether the door lets a ticket holder in again after an exit. */
  allowReentry: boolean;
  /** Whether the event's assigned check-in staff may add walk-ins (protocol's mayAddWalkIn). */
  staffWalkIns: boolean;
  /** Erase the attendees' personal data this many days after the event ends (1…3650); null: never. */
  eraseAttendeesAfterDays: number | null;
  organizerId: string;
  staffIds: string[];
  bookedCount: number;
  typeSold: Record<string, number>;
  /** Per-field hybrid logical clock of the last applied edit (last writer wins per field). */
  fieldHlc: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
};

/** The fields an event edit may set (everything but identity, counts and timestamps of creation). */
export type EventSet = Partial<
  Pick<
    EventRow,
    | 'title'
    | 'description'
    | 'venue'
    | 'startsAt'
    | 'endsAt'
    | 'startsAtMs'
    | 'endsAtMs'
    | 'timezone'
    | 'capacity'
    | 'allowReentry'
    | 'staffWalkIns'
    | 'eraseAttendeesAfterDays'
    | 'status'
    | 'ticketTypes'
    | 'fieldHlc'
    | 'updatedAt'
  >
>;

export type BookingSource = 'online' | 'walkIn' | 'import';

export type BookingRow = LoggedRow & {
  eventId: string;
  userId: string;
  ticketTypeId: string;
  quantity: number;
  attendee: Attendee;
  status: BookingStatus;
  source: BookingSource;
  overCapacity: boolean;
  /** Short code printed on the ticket and said at the door; unique within the event. */
  code: string;
  createdAt: string;
  cancelledAt: string | null;
  /** The attendee's photo: its blob `booking:<id>`'s SHA-256 (protocol's photoId). Missing or null: none. */
  photoId?: string | null;
  /**
   * The ticket's id in the system it was imported from (Eventbrite's attendee number, pretix's
   * order code and position), unique within the event; absent on bookings not imported. Server-side
   * only: devices do not receive it.
   */
  externalId?: string | null;
  /** When the ticket was ordered where it was imported from (UTC ISO); absent or null: not known. */
  orderedAt?: string | null;
  /**
   * When the attendee's personal data was erased on request or by the event's retention setting
   * (BookingRepository.erase): the name is then ERASED_ATTENDEE_NAME and there is no email. Null: never.
   */
  erasedAt: string | null;
};

/** Seats held by confirmed bookings: in all, and per ticket type id. */
export type SeatCounts = { booked: number; byType: Record<string, number> };

export type CheckinRow = LoggedRow & {
  eventId: string;
  bookingId: string;
  gate: string;
  /** An entry, an exit, or a void (the undoing of the admission `voids` names; protocol version 2). */
  direction: 'in' | 'out' | 'void';
  voids?: string;
  /** As the device said it (its clock). */
  scannedAt: string;
  deviceId: string;
  staffId: string;
  hlc: string;
  /** Server receipt time. */
  receivedAt: string;
};

/** A refused scan, kept for the door's audit (protocol's `refusalSchema`); never an admission. */
export type RefusalRow = LoggedRow & {
  eventId: string;
  gate: string;
  direction: 'in' | 'out';
  reason: RefusalReason;
  bookingId: string | null;
  ticketEventId: string | null;
  /** As the device said it (its clock). */
  scannedAt: string;
  deviceId: string;
  staffId: string;
  hlc: string;
  /** Server receipt time. */
  receivedAt: string;
};

export type AlertKind = 'duplicateEntry' | 'cancelledCheckin' | 'overCapacity';

/** A fact derived from other facts; its id derives from its cause (`dup-<checkinId>`), so raising twice is a no-op. */
export type AlertRow = LoggedRow & {
  eventId: string;
  kind: AlertKind;
  bookingId: string;
  checkinId: string | null;
  firstCheckinId: string | null;
  message: string;
  createdAt: string;
  /** Null until someone acknowledges it; the first acknowledgement by HLC stands (protocol acknowledgementWins). */
  acknowledgement: AlertAcknowledgementRow | null;
};

/** An alert as raised: never acknowledged yet (stored with `acknowledgement: null`, rev 1). */
export type NewAlertRow = Omit<AlertRow, 'rev' | 'acknowledgement'>;

/** Who acknowledged an alert, when (device time and HLC), and their note; the protocol's AlertAcknowledgement. */
export type AlertAcknowledgementRow = {
  id: string;
  userId: string;
  userName: string;
  acknowledgedAt: string;
  hlc: string;
  note: string | null;
};

/** One Ed25519 key pair of an event. The private key is read only by the tickets domain. */
export type TicketKeyRow = LoggedRow & {
  eventId: string;
  kid: string;
  publicKey: string;
  privateKey: string;
  createdAt: string;
  retiredAt: string | null;
};

/** A change-log entry: one version of one row, at a position (`seq`) in its bucket. */
export type ChangeRow = {
  bucket: string;
  seq: number;
  type: 'event' | 'booking' | 'checkin' | 'alert' | 'ticketKey' | 'user' | 'refusal';
  /** The row's id. */
  id: string;
  rev: number;
  /** The row as devices see it (protocol shape); null when deleted. */
  doc: unknown;
};

/**
 * A change as the log stores it, its doc left as the stored JSON text (`JSON.stringify` of the
 * protocol-shaped doc, written by the adapter's append; null when deleted), so that a pull page is
 * assembled from the text without parsing and re-serializing each doc (sync/pull-answer.ts).
 */
export type StoredChange = Omit<ChangeRow, 'doc'> & { docJson: string | null };

/** What `ChangeFeed.readForPull` gives: stored text where the adapter keeps it (SQLite), else parsed (MongoDB). */
export type PulledChange = ChangeRow | StoredChange;

/** What a pushed mutation's answer was, as stored for repeats. */
/** A mutation's answer as the ledger keeps it (port/mutations.ts appliedResult); retries get it again as stored. */
export type StoredResult =
  { status: 'applied'; hlc?: string; superseded?: true } | { status: 'rejected'; code: string; message: string };

/** An email message in the outbox. Its id derives from its cause, so queuing it twice is a no-op. */
export type MailRow = {
  id: string;
  kind: MailKind;
  to: string;
  toName: string;
  subject: string;
  html: string;
  text: string;
  ics: string | null;
  qrToken: string | null;
  /** The event the mail is about; '' for account mails (mail/account.ts). */
  eventId: string;
  bookingId: string | null;
  status: MailStatus;
  /** Tries so far (reset by an admin retry). */
  attempts: number;
  /** Claims ever made; never reset. A claim is valid while the row's claimSeq is still its own. */
  claimSeq: number;
  nextAttemptAtMs: number;
  leaseOwner: string | null;
  leaseUntilMs: number | null;
  lastError: string | null;
  /** RFC 5322 Message-ID, derived from the id: a resend after a crash is recognisably the same message. */
  messageId: string;
  createdAtMs: number;
  sentAtMs: number | null;
};

/** A message as composed, before the outbox's bookkeeping is added. */
export type ComposedMailRow = Pick<
  MailRow,
  'id' | 'kind' | 'to' | 'toName' | 'subject' | 'html' | 'text' | 'ics' | 'qrToken' | 'eventId' | 'bookingId'
>;

/**
 * Mail owed for a row's change (a booking confirmed or cancelled, an event changed or cancelled),
 * recorded in the same write as the change. The mail domain turns it into outbox messages and then
 * clears it; a crash in between leaves it to be done again. Adapters list hand-offs oldest first,
 * by when each was first recorded.
 * Items: `bookingConfirmed`, `bookingCancelled`, `eventChanged:<rev>`, `eventCancelled:<rev>` (the
 * event's rev after the edit, so each change and each cancellation is its own notice), and the bare
 * `eventCancelled` of hand-offs recorded before cancellations carried their rev.
 */
export type MailHandoff = {
  kind: 'booking' | 'event';
  rowId: string;
  items: string[];
  /**
   * The row's rev after the last change that added to the hand-off. No mail logic reads it: the
   * sweeper goes by the items, which carry their revs. The store transfer (`store/transfer.ts` and
   * the adapters' `transfer.ts`) reads it to carry hand-offs between stores as they are; it can go
   * when the transfer stops carrying it.
   */
  rev: number;
};

/**
 * A stored blob's description (its bytes travel beside it): a photo, re-encoded by the server.
 * `id` names what it belongs to (`user:<userId>`, `booking:<bookingId>`), so putting it again
 * replaces it; `sha256` (base64url) is its content's hash, the photo's id and ETag.
 */
export type BlobRow = {
  id: string;
  contentType: string;
  /** Of the bytes, in bytes. */
  byteLength: number;
  sha256: string;
  createdAt: string;
};
