import {
  eventBucket,
  userBucket,
  type Alert,
  type Booking,
  type Checkin,
  type Device,
  type Event,
  type Refusal,
  type TicketKeyDoc,
  type User,
} from '@gatehouse/protocol';
import type {
  AlertRow,
  BookingRow,
  ChangeRow,
  CheckinRow,
  DeviceRow,
  EventRow,
  RefusalRow,
  SeatCounts,
  TicketKeyRow,
  UserRow,
} from './rows';

/**
 * Rows → what clients see (protocol shapes), and rows → the change a device receives. Shared by
 * both adapters, so a row logged by either reaches devices byte for byte the same. Explicit
 * mappings: password hashes, private keys, clocks and mail marks never leave the server.
 */

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    disabled: row.disabled,
    createdAt: row.createdAt,
    ...(row.photoId ? { photoId: row.photoId } : {}),
  };
}

export function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    userId: row.userId,
    name: row.name,
    firstSeenAt: row.firstSeenAt,
    lastSeenAt: row.lastSeenAt,
    revoked: row.revoked,
    clockOffsetMs: row.clockOffsetMs,
  };
}

/** Without `counts`, the row's own seat counts. */
export function toEvent(row: EventRow, counts?: SeatCounts): Event {
  const sold = counts?.byType ?? row.typeSold;
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    venue: row.venue,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    timezone: row.timezone,
    capacity: row.capacity,
    status: row.status,
    ticketTypes: row.ticketTypes.map((type) => ({
      id: type.id,
      name: type.name,
      price: type.price,
      quota: type.quota,
      sold: sold[type.id] ?? 0,
      ...(type.requiresPhoto ? { requiresPhoto: true } : {}),
    })),
    allowReentry: row.allowReentry,
    staffWalkIns: row.staffWalkIns,
    eraseAttendeesAfterDays: row.eraseAttendeesAfterDays,
    organizerId: row.organizerId,
    staffIds: row.staffIds,
    bookedCount: counts?.booked ?? row.bookedCount,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function toBooking(row: BookingRow): Booking {
  return {
    id: row.id,
    eventId: row.eventId,
    userId: row.userId,
    ticketTypeId: row.ticketTypeId,
    quantity: row.quantity,
    attendee: row.attendee.email ? { name: row.attendee.name, email: row.attendee.email } : { name: row.attendee.name },
    status: row.status,
    source: row.source,
    overCapacity: row.overCapacity,
    code: row.code,
    createdAt: row.createdAt,
    cancelledAt: row.cancelledAt,
    ...(row.photoId ? { photoId: row.photoId } : {}),
    ...(row.orderedAt ? { orderedAt: row.orderedAt } : {}),
    ...(row.erasedAt ? { erasedAt: row.erasedAt } : {}),
  };
}

export function toCheckin(row: CheckinRow): Checkin {
  return {
    id: row.id,
    eventId: row.eventId,
    bookingId: row.bookingId,
    gate: row.gate,
    direction: row.direction,
    ...(row.voids ? { voids: row.voids } : {}),
    scannedAt: row.scannedAt,
    deviceId: row.deviceId,
    staffId: row.staffId,
    hlc: row.hlc,
    receivedAt: row.receivedAt,
  };
}

export function toRefusal(row: RefusalRow): Refusal {
  return {
    id: row.id,
    eventId: row.eventId,
    gate: row.gate,
    direction: row.direction,
    reason: row.reason,
    bookingId: row.bookingId,
    ticketEventId: row.ticketEventId,
    scannedAt: row.scannedAt,
    deviceId: row.deviceId,
    staffId: row.staffId,
    hlc: row.hlc,
    receivedAt: row.receivedAt,
  };
}

export function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    eventId: row.eventId,
    kind: row.kind,
    bookingId: row.bookingId,
    checkinId: row.checkinId,
    firstCheckinId: row.firstCheckinId,
    message: row.message,
    createdAt: row.createdAt,
    // Absent until acknowledged, so an alert's doc is what it was before acknowledgements existed.
    ...(row.acknowledgement ? { acknowledgement: { ...row.acknowledgement } } : {}),
  };
}

/** The public half only: the private key never enters the change log. */
export function toTicketKeyDoc(row: TicketKeyRow): TicketKeyDoc {
  return {
    id: row.id,
    eventId: row.eventId,
    kid: row.kid,
    publicKey: row.publicKey,
    createdAt: row.createdAt,
    retiredAt: row.retiredAt,
  };
}

/** A change before the log gives it a seq. */
export type PendingChange = Omit<ChangeRow, 'seq'>;

export const changeOf = {
  user: (row: UserRow): PendingChange => ({
    bucket: userBucket(row.id),
    type: 'user',
    id: row.id,
    rev: row.rev,
    doc: toUser(row),
  }),
  event: (row: EventRow): PendingChange => ({
    bucket: eventBucket(row.id),
    type: 'event',
    id: row.id,
    rev: row.rev,
    doc: row.deletedAt ? null : toEvent(row),
  }),
  booking: (row: BookingRow): PendingChange => ({
    bucket: eventBucket(row.eventId),
    type: 'booking',
    id: row.id,
    rev: row.rev,
    doc: toBooking(row),
  }),
  checkin: (row: CheckinRow): PendingChange => ({
    bucket: eventBucket(row.eventId),
    type: 'checkin',
    id: row.id,
    rev: row.rev,
    doc: toCheckin(row),
  }),
  refusal: (row: RefusalRow): PendingChange => ({
    bucket: eventBucket(row.eventId),
    type: 'refusal',
    id: row.id,
    rev: row.rev,
    doc: toRefusal(row),
  }),
  alert: (row: AlertRow): PendingChange => ({
    bucket: eventBucket(row.eventId),
    type: 'alert',
    id: row.id,
    rev: row.rev,
    doc: toAlert(row),
  }),
  ticketKey: (row: TicketKeyRow): PendingChange => ({
    bucket: eventBucket(row.eventId),
    type: 'ticketKey',
    id: row.id,
    rev: row.rev,
    doc: toTicketKeyDoc(row),
  }),
};
