import type { AlertAcknowledgementRow, AlertRow, NewAlertRow } from '../rows';

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
