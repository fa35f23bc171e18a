import { type Alert, GatehouseError } from '@gatehouse/protocol';
import type { Account } from '../account';
import { newRowId } from '../sync/ids';

/**
 * Acknowledges an alert of the event: queues an `alert.acknowledge` through the account's one write
 * path, so it works offline at the door and syncs to every device of the event. The server checks
 * again when it applies it (organizer, assigned staff or admin, as of then) and keeps the first
 * acknowledgement by HLC. An alert already acknowledged (here or by someone else, as synced) is
 * answered as it is, nothing queued. ALERT_NOT_FOUND for an alert not on this device or not of
 * `eventId`; FORBIDDEN below the staff role. Returns the alert as it now shows.
 */
export function acknowledgeAlert(
  account: Account,
  params: { eventId: string; alertId: string; note?: string | undefined },
): Alert {
  account.withRole('staff');
  const alert = account.store.rows.getDoc<Alert>('alerts', params.alertId);
  if (!alert || alert.eventId !== params.eventId) {
    throw new GatehouseError('ALERT_NOT_FOUND', 'No such alert of this event on this device');
  }
  if (alert.acknowledgement) return alert;
  const meta = { ...account.meta(), userName: account.user.name };
  const { doc } = account.mutate(
    'alert.acknowledge',
    {
      id: newRowId(),
      alertId: alert.id,
      eventId: params.eventId,
      acknowledgedAt: meta.at,
      ...(params.note !== undefined ? { note: params.note } : {}),
    },
    meta,
  );
  return doc as Alert;
}
