import type { Alert } from '@gatehouse/protocol';
import type { AlertRepository } from '../store/port';
import { toAlert } from '../store/wire';

/**
 * Alerts are facts derived from other facts, so each has an id derived from what caused it
 * (`dup-<checkinId>`, `cancelled-<checkinId>`, `overcap-<bookingId>`): two servers deriving the same
 * alert at once store one row, and a retried mutation never raises a second one. They live in the
 * event's bucket, so exactly the people who may see that event (organizer, its staff, admins) get them.
 */
export class AlertService {
  constructor(private readonly alerts: AlertRepository) {}

  /** Creates the alert once; raising the same id again is a no-op. */
  async raise(alert: Alert): Promise<void> {
    await this.alerts.raise(alert);
  }

  /** Newest first. */
  async listForEvent(eventId: string, limit: number): Promise<Alert[]> {
    return (await this.alerts.listForEvent(eventId, limit)).map(toAlert);
  }
}
