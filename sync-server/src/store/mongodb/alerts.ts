import type { AlertRepository } from '../port';
import type { AlertRow } from '../rows';
import { changeOf } from '../wire';
import type { LoggedCollection } from './changelog';
import type { StoreContext } from './context';
import { COLLECTIONS, toAlertRow, withoutId, type AlertDoc } from './documents';
import { isDuplicateKeyError } from './errors';

/**
 * Alerts are facts derived from other facts, each with an id derived from its cause
 * (`dup-<checkinId>`, `cancelled-<checkinId>`, `overcap-<bookingId>`): two servers deriving the
 * same alert at once insert one row, and a retried mutation never raises a second one.
 */
export class MongoAlerts implements AlertRepository {
  readonly target: LoggedCollection<AlertDoc>;

  constructor(private readonly context: StoreContext) {
    this.target = context.changeLog.register({
      collection: context.db.collection<AlertDoc>(COLLECTIONS.alerts),
      toChange: (doc) => changeOf.alert(toAlertRow(doc)),
    });
  }

  async raise(row: Omit<AlertRow, 'rev'>): Promise<boolean> {
    try {
      await this.context.changeLog.insertAndLog(this.target, { _id: row.id, ...withoutId(row) });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /**
   * Raises those of `alerts` that do not exist yet. A repeat scan re-derives every duplicate of its
   * booking, and most were raised long ago: a read by `_id` per alert (in parallel) is far cheaper
   * than a raise that fails on the duplicate key after writing its intent.
   */
  async raiseMissing(alerts: Array<Omit<AlertRow, 'rev'>>): Promise<void> {
    if (alerts.length === 0) return;
    const existing = await Promise.all(
      alerts.map((alert) => this.target.collection.findOne({ _id: alert.id }, { projection: { _id: 1 } })),
    );
    await Promise.all(alerts.filter((_alert, index) => !existing[index]).map((alert) => this.raise(alert)));
  }

  async listForEvent(eventId: string, limit: number): Promise<AlertRow[]> {
    const docs = await this.target.collection.find({ eventId }).sort({ createdAt: -1, _id: 1 }).limit(limit).toArray();
    return docs.map(toAlertRow);
  }
}
