import { type EventStatus, GatehouseError, truncateText } from '@gatehouse/protocol';

/**
 * The errors store operations raise, built in one place so both adapters say the same thing with
 * the same code.
 */
export const storeErrors = {
  emailTaken: () => new GatehouseError('EMAIL_TAKEN', 'An account with this email exists'),
  eventNotFound: () => new GatehouseError('NOT_FOUND', 'Event not found'),
  notBookable: (status: EventStatus) =>
    new GatehouseError('EVENT_NOT_BOOKABLE', `This event is ${status}, not open for booking`),
  unknownTicketType: (ticketTypeId: string) =>
    new GatehouseError('UNPROCESSABLE', 'This event has no such ticket type', [
      { path: 'ticketTypeId', message: `unknown ticket type ${truncateText(ticketTypeId, 64)}` },
    ]),
  soldOut: (left: number) =>
    new GatehouseError('SOLD_OUT', 'Not enough seats left for this request', [
      { path: 'quantity', message: `${Math.max(0, left)} left` },
    ]),
  bookingOfOtherEvent: () => new GatehouseError('CONFLICT', 'This booking id belongs to another event'),
  bookingNotInEvent: (bookingId: string) =>
    new GatehouseError('NOT_FOUND', `No booking ${truncateText(bookingId, 64)} in this event`),
  checkinIdTaken: (id: string) =>
    new GatehouseError('CONFLICT', `Check-in id ${truncateText(id, 64)} is already used by another scan`),
  refusalIdTaken: (id: string) =>
    new GatehouseError('CONFLICT', `Refusal id ${truncateText(id, 64)} is already used by another scan`),
  alertNotInEvent: (alertId: string) =>
    new GatehouseError('ALERT_NOT_FOUND', `No alert ${truncateText(alertId, 64)} in this event`),
  noFreeCode: () => new GatehouseError('SERVICE_UNAVAILABLE', 'Could not draw a free booking code; retry'),
  mailNotFound: () => new GatehouseError('NOT_FOUND', 'No such message in the outbox'),
  mailWrongStatus: (status: string, from: string[]) =>
    new GatehouseError('CONFLICT', `The message is ${status}; only ${from.join(' or ')} messages can be changed so`),
  unavailable: () => new GatehouseError('SERVICE_UNAVAILABLE', 'The database is busy or unreachable; retry shortly'),
  full: () =>
    new GatehouseError(
      'SERVER_STORAGE_FULL',
      'The server is out of disk space; nothing was written. Retry once an administrator has made room',
    ),
};

/** Seats left for `quantity` more: the smaller of what capacity and the type's quota leave. */
export function seatsLeft(
  event: { capacity: number; bookedCount: number; ticketTypes: { id: string; quota: number }[] },
  sold: Record<string, number>,
  ticketTypeId: string,
): number {
  const type = event.ticketTypes.find((candidate) => candidate.id === ticketTypeId);
  return Math.min(event.capacity - event.bookedCount, (type?.quota ?? 0) - (sold[ticketTypeId] ?? 0));
}
