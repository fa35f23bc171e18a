import type { Attendee, BookingStatus, EventStatus, Role } from '@gatehouse/protocol';
import type {
  AlertAcknowledgementRow,
  AlertKind,
  AlertRow,
  BookingRow,
  BookingSource,
  CheckinRow,
  EventRow,
  RefusalRow,
  TicketKeyRow,
  TicketTypeRow,
  UserRow,
} from '../rows';
import type { ScanFact } from '../port';

/**
 * The documents of the logged collections, in the layout the server has always stored (so data
 * written before the storage port stays readable), and their explicit mapping to the port's rows:
 * `_id` becomes `id`, and server-only fields (mail marks, search terms, seat peaks, log marks)
 * never leave the adapter.
 */

/** A row whose versions are logged. `logPending`: set by the write, cleared after its change is logged (see ChangeLog). */
export type LoggedDoc = { _id: string; rev: number; logPending?: Date };

export const COLLECTIONS = {
  events: 'events',
  bookings: 'bookings',
  checkins: 'checkins',
  alerts: 'alerts',
  refusals: 'refusals',
  ticketKeys: 'ticketKeys',
  users: 'users',
  refreshTokens: 'refreshTokens',
  refreshTokenRotations: 'refreshTokenRotations',
  loginAttempts: 'loginAttempts',
  devices: 'devices',
  mutations: 'mutations',
  changes: 'changes',
  buckets: 'buckets',
  logIntents: 'logIntents',
  seats: 'seats',
  checkinSlots: 'checkinSlots',
  recountsOwed: 'recountsOwed',
  /** Named when only online bookings took keys; kept so claims taken before an upgrade still hold. */
  idempotencyKeys: 'bookingIdempotency',
  mail: 'mail',
  mailClaims: 'mailClaims',
  mailFanOuts: 'mailFanOuts',
  secrets: 'secrets',
  /** Pending email changes, keyed by their code's hash; and one claim per code used (email-changes.ts). */
  emailChanges: 'emailChanges',
  emailChangeClaims: 'emailChangeClaims',
  /** Blob head documents (blobs.ts), one per blob, by `_id` = the blob's id. */
  blobs: 'blobs',
  /** Blob bytes in chunks, by `_id` = `<blobId>@<version>:<n>`. */
  blobChunks: 'blobChunks',
  /** Blob puts and deletes in progress (blobs.ts), swept for what a crash left behind. */
  blobWrites: 'blobWrites',
  /** CSV import claims (import-claims.ts), one per event and match key, by `_id`. */
  importClaims: 'importClaims',
  /** Progress of running CSV imports (import-progress.ts), by `_id` `<eventId>:<importId>`. */
  importProgress: 'importProgress',
  /** Data upgrades done at open (search-upgrade.ts), one document each. */
  upgrades: 'upgrades',
} as const;

export type EventDoc = LoggedDoc & {
  title: string;
  description: string;
  venue: string;
  startsAt: string;
  endsAt: string;
  startsAtMs: number;
  endsAtMs: number;
  timezone: string;
  capacity: number;
  status: EventStatus;
  ticketTypes: TicketTypeRow[];
  /** Missing on events written before the rule existed: re-entry allowed, as the door always did. */
  allowReentry?: boolean;
  /** Missing on events written before the setting existed: staff walk-ins not allowed (migration 008's reading). */
  staffWalkIns?: boolean;
  /** Missing on events written before the setting existed: never erased (EventRow.eraseAttendeesAfterDays). */
  eraseAttendeesAfterDays?: number | null;
  organizerId: string;
  staffIds: string[];
  bookedCount: number;
  typeSold: Record<string, number>;
  fieldHlc: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  /** Mail hand-off items (see MailHandoff). */
  mailPending: string[];
  /** The row's rev after the change that last added to `mailPending` (MailHandoff.rev); missing on older rows. */
  mailRev?: number;
  /**
   * When the hand-off was first recorded (`$min` of each write that adds to `mailPending`; unset
   * when it is cleared to empty), so hand-offs are taken oldest first. Missing on hand-offs written
   * before it existed: those sort first.
   */
  mailSince?: Date;
  /**
   * Per seat scope (`all`, `type-<id>`): the highest limit ever set. Seats are slots below the
   * limit, so while the limit is at its peak the slots bound the holders; below it, holders may sit
   * in slots above the limit and a hold is checked by counting (see SeatLedger). Missing on events
   * written before it existed: those are always checked by counting.
   */
  seatPeaks?: Record<string, number>;
};

export function toEventRow(doc: EventDoc): EventRow {
  return {
    id: doc._id,
    rev: doc.rev ?? 0,
    title: doc.title,
    description: doc.description,
    venue: doc.venue,
    startsAt: doc.startsAt,
    endsAt: doc.endsAt,
    startsAtMs: doc.startsAtMs,
    endsAtMs: doc.endsAtMs,
    timezone: doc.timezone,
    capacity: doc.capacity,
    status: doc.status,
    ticketTypes: doc.ticketTypes.map((type) => ({
      id: type.id,
      name: type.name,
      price: type.price,
      quota: type.quota,
      ...(type.requiresPhoto ? { requiresPhoto: true } : {}),
    })),
    allowReentry: doc.allowReentry ?? true,
    staffWalkIns: doc.staffWalkIns ?? false,
    eraseAttendeesAfterDays: doc.eraseAttendeesAfterDays ?? null,
    organizerId: doc.organizerId,
    staffIds: doc.staffIds ?? [],
    bookedCount: doc.bookedCount ?? 0,
    typeSold: doc.typeSold ?? {},
    fieldHlc: doc.fieldHlc ?? {},
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    deletedAt: doc.deletedAt ?? null,
  };
}

export type BookingDoc = LoggedDoc & {
  eventId: string;
  userId: string;
  ticketTypeId: string;
  quantity: number;
  attendee: Attendee;
  status: BookingStatus;
  source: BookingSource;
  overCapacity: boolean;
  code: string;
  createdAt: string;
  cancelledAt: string | null;
  /** Missing on bookings never erased (BookingRow.erasedAt). */
  erasedAt?: string | null;
  /** Folded words of name and email plus the code (search-words.ts), for prefix search by a multikey index. */
  searchTerms: string[];
  /** The ticket's id in the system it was imported from (BookingRow.externalId); absent when not imported. */
  externalId?: string;
  /** When the ticket was ordered where it was imported from (BookingRow.orderedAt); absent: not known. */
  orderedAt?: string;
  mailPending: string[];
  /** The row's rev after the change that last added to `mailPending` (MailHandoff.rev); missing on older rows. */
  mailRev?: number;
  /**
   * When the hand-off was first recorded (`$min` of each write that adds to `mailPending`; unset
   * when it is cleared to empty), so hand-offs are taken oldest first. Missing on hand-offs written
   * before it existed: those sort first.
   */
  mailSince?: Date;
  /**
   * The booking's scans, pushed one by one (where updates are isolated; see CheckinRepository):
   * of two concurrent scans, the later push returns both.
   */
  scans?: ScanFact[];
  /** The attendee photo's id; missing: none. */
  photoId?: string;
};

/** Fields a list never needs: a booking's scans can be many. */
export const BOOKING_LIST_PROJECTION = { scans: 0 } as const;

export function toBookingRow(doc: BookingDoc): BookingRow {
  return {
    id: doc._id,
    rev: doc.rev ?? 0,
    eventId: doc.eventId,
    userId: doc.userId,
    ticketTypeId: doc.ticketTypeId,
    quantity: doc.quantity,
    attendee: doc.attendee.email ? { name: doc.attendee.name, email: doc.attendee.email } : { name: doc.attendee.name },
    status: doc.status,
    source: doc.source,
    overCapacity: doc.overCapacity === true,
    code: doc.code,
    createdAt: doc.createdAt,
    cancelledAt: doc.cancelledAt ?? null,
    ...(doc.photoId ? { photoId: doc.photoId } : {}),
    ...(typeof doc.externalId === 'string' ? { externalId: doc.externalId } : {}),
    ...(typeof doc.orderedAt === 'string' ? { orderedAt: doc.orderedAt } : {}),
    erasedAt: doc.erasedAt ?? null,
  };
}

export type CheckinDoc = LoggedDoc & Omit<CheckinRow, 'id' | 'rev'>;

export function toCheckinRow(doc: CheckinDoc): CheckinRow {
  return {
    id: doc._id,
    rev: doc.rev ?? 0,
    eventId: doc.eventId,
    bookingId: doc.bookingId,
    gate: doc.gate,
    direction: doc.direction,
    ...(doc.voids ? { voids: doc.voids } : {}),
    scannedAt: doc.scannedAt,
    deviceId: doc.deviceId,
    staffId: doc.staffId,
    hlc: doc.hlc,
    receivedAt: doc.receivedAt,
  };
}

export type RefusalDoc = LoggedDoc & Omit<RefusalRow, 'id' | 'rev'>;

export function toRefusalRow(doc: RefusalDoc): RefusalRow {
  return {
    id: doc._id,
    rev: doc.rev ?? 0,
    eventId: doc.eventId,
    gate: doc.gate,
    direction: doc.direction,
    reason: doc.reason,
    bookingId: doc.bookingId ?? null,
    ticketEventId: doc.ticketEventId ?? null,
    scannedAt: doc.scannedAt,
    deviceId: doc.deviceId,
    staffId: doc.staffId,
    hlc: doc.hlc,
    receivedAt: doc.receivedAt,
  };
}

export type AlertDoc = LoggedDoc & {
  eventId: string;
  kind: AlertKind;
  bookingId: string;
  checkinId: string | null;
  firstCheckinId: string | null;
  message: string;
  createdAt: string;
  /** Missing on alerts raised before acknowledgements existed: read as null. */
  acknowledgement?: AlertAcknowledgementRow | null;
};

export function toAlertRow(doc: AlertDoc): AlertRow {
  return {
    id: doc._id,
    rev: doc.rev ?? 0,
    eventId: doc.eventId,
    kind: doc.kind,
    bookingId: doc.bookingId,
    checkinId: doc.checkinId ?? null,
    firstCheckinId: doc.firstCheckinId ?? null,
    message: doc.message,
    createdAt: doc.createdAt,
    acknowledgement: doc.acknowledgement ?? null,
  };
}

export type TicketKeyDoc = LoggedDoc & Omit<TicketKeyRow, 'id' | 'rev'>;

export function toTicketKeyRow(doc: TicketKeyDoc): TicketKeyRow {
  return {
    id: doc._id,
    rev: doc.rev ?? 0,
    eventId: doc.eventId,
    kid: doc.kid,
    publicKey: doc.publicKey,
    privateKey: doc.privateKey,
    createdAt: doc.createdAt,
    retiredAt: doc.retiredAt ?? null,
  };
}

/** Users written before profiles were logged have no `rev` (the first logged write adds it). */
export type UserDoc = LoggedDoc & {
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  passwordHash: string;
  createdAt: string;
  updatedAt: string;
  /** The profile photo's id; missing: none. */
  photoId?: string;
};

export function toUserRow(doc: UserDoc): UserRow {
  return {
    id: doc._id,
    rev: doc.rev ?? 0,
    email: doc.email,
    name: doc.name,
    role: doc.role,
    disabled: doc.disabled === true,
    passwordHash: doc.passwordHash,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    ...(doc.photoId ? { photoId: doc.photoId } : {}),
  };
}

/** A row without its id, as the document stores it under `_id`. */
export function withoutId<R extends { id: string }>(row: R): Omit<R, 'id'> {
  const { id: _id, ...rest } = row;
  return rest;
}
