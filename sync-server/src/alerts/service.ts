import { eventBucket, type Alert } from '@gatehouse/protocol';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from '../db/mongo';
import type { ChangeLog, ChangeOf, LoggedRow } from '../sync/changelog';

export type AlertRow = LoggedRow & Omit<Alert, 'id'>;

export function toAlert(row: AlertRow): Alert {
  return {
    id: row._id,
    eventId: row.eventId,
    kind: row.kind,
    bookingId: row.bookingId,
    checkinId: row.checkinId,
    firstCheckinId: row.firstCheckinId,
    message: row.message,
    createdAt: row.createdAt,
  };
}

export const alertChange: ChangeOf<AlertRow> = (row) => ({
  bucket: eventBucket(row.eventId),
  type: 'alert',
  id: row._id,
  doc: toAlert(row),
});

/**
 * Alerts are facts derived from other facts, so each has an id derived from what caused it
 * (`dup-<checkinId>`, `cancelled-<checkinId>`, `overcap-<bookingId>`): two servers deriving the same
 * alert at once insert one row, and a retried mutation never raises a second one. They live in the
 * event's bucket, so exactly the people who may see that event (organizer, its staff, admins) get them.
 */
export class AlertService {
  readonly alerts: Collection<AlertRow>;

  constructor(
    db: Db,
    private readonly changeLog: ChangeLog,
  ) {
    this.alerts = db.collection<AlertRow>('alerts');
  }

  async ensureIndexes(): Promise<void> {
    await this.alerts.createIndex({ eventId: 1, createdAt: -1 });
  }

  repairPending(): Promise<number> {
    return this.changeLog.repairPending(this.alerts, alertChange);
  }

  /** Creates the alert once; a second raise of the same id is a no-op. */
  async raise(alert: Alert): Promise<void> {
    const { id, ...rest } = alert;
    try {
      await this.changeLog.insertAndLog(this.alerts, { _id: id, rev: 0, ...rest }, alertChange);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /**
   * Raises those of `alerts` that do not exist yet. A repeat scan re-derives every duplicate of its
   * booking, and most were raised long ago: a read by `_id` per alert (in parallel) is far cheaper
   * than a raise that fails on the duplicate key after writing its intent.
   */
  async raiseMissing(alerts: Alert[]): Promise<void> {
    const existing = await Promise.all(
      alerts.map((alert) => this.alerts.findOne({ _id: alert.id }, { projection: { _id: 1 } })),
    );
    await Promise.all(alerts.filter((_alert, index) => !existing[index]).map((alert) => this.raise(alert)));
  }

  listForEvent(eventId: string, limit: number): Promise<Alert[]> {
    return this.alerts
      .find({ eventId })
      .sort({ createdAt: -1, _id: 1 })
      .limit(limit)
      .toArray()
      .then((rows) => rows.map(toAlert));
  }
}
