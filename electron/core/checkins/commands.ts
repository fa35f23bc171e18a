import {
  type Checkin,
  formatHlc,
  GatehouseError,
  VOID_REFUSAL_TEXT,
  voidRefusal,
  type VoidRefusal,
} from '@gatehouse/protocol';
import type { Account } from '../account';
import { newRowId } from '../sync/ids';

const REFUSAL_CODE: Record<VoidRefusal, 'CONFLICT' | 'FORBIDDEN'> = {
  notAnAdmission: 'CONFLICT',
  alreadyVoided: 'CONFLICT',
  notYours: 'FORBIDDEN',
  tooLate: 'FORBIDDEN',
};

/**
 * Undoes an admission made by mistake (a wrong person, a double tap): appends a `checkin.void`
 * naming it, through the account's one write path; nothing is deleted. The same rule as the
 * server's (protocol voidRefusal): this device's own admission within VOID_WINDOW_MS, or any
 * admission for the event's organizer or an admin. NOT_FOUND for a check-in not on this device;
 * CONFLICT when it is not an admission or is undone already; FORBIDDEN otherwise.
 * Returns the void row as it now shows.
 */
export function undoAdmission(account: Account, params: { eventId: string; checkinId: string; gate: string }): Checkin {
  account.withRole('staff');
  const admission = account.store.rows.getDoc<Checkin>('checkins', params.checkinId);
  if (!admission || admission.eventId !== params.eventId) {
    throw new GatehouseError('NOT_FOUND', 'No such check-in on this device');
  }
  const event = account.events.get(params.eventId);
  const manager =
    account.user.role === 'admin' || (account.user.role === 'organizer' && event?.organizerId === account.user.id);
  const alreadyVoided = account.store
    .scansOfBooking(admission.bookingId)
    .some((scan) => scan.direction === 'void' && scan.voids === admission.id);
  const now = account.trustedNow();
  const refusal = voidRefusal(
    admission,
    { manager, deviceId: account.deviceId, hlc: formatHlc({ wallMs: now, counter: 0, node: account.deviceId }) },
    alreadyVoided,
  );
  if (refusal) throw new GatehouseError(REFUSAL_CODE[refusal], VOID_REFUSAL_TEXT[refusal]);
  const { doc } = account.mutate('checkin.void', {
    id: newRowId(),
    eventId: params.eventId,
    checkinId: admission.id,
    bookingId: admission.bookingId,
    gate: params.gate,
    voidedAt: new Date(now).toISOString(),
  });
  return doc as Checkin;
}
