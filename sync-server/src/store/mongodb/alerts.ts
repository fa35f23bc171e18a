import { acknowledgementWins } from '@gatehouse/protocol';
import { storeErrors } from '../errors';
import type { AlertRepository } from '../port';
import type { AlertAcknowledgementRow, AlertRow, NewAlertRow } from '../rows';
import { changeOf } from '../wire';
import type { LoggedCollection } from './changelog';
import type { StoreContext } from './context';
import { COLLECTIONS, toAlertRow, withoutId, type AlertDoc } from './documents';
import type { Condition } from './conditional';
import { isDuplicateKeyError } from './errors';
import { sleep } from './queries';

/**
 * Tries at acknowledging before answering what the alert holds: each lost race means another
 * acknowledgement was written meanwhile, so a few suffice.
 */
const ACKNOWLEDGE_ATTEMPTS = 8;

/** The alert still carries the acknowledgement `current` (none: null or missing). */
function stillAcknowledgedBy(current: AlertAcknowledgementRow | null): Condition<AlertDoc> {
  return current
    ? {
        filter: { 'acknowledgement.id': current.id },
        holds: (doc) => doc.acknowledgement?.id === current.id,
      }
    : {
        filter: { acknowledgement: null },
        holds: (doc) => !doc.acknowledgement,
      };
}

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

  async raise(row: NewAlertRow): Promise<boolean> {
    try {
      await this.context.changeLog.insertAndLog(this.target, { _id: row.id, ...withoutId(row), acknowledgement: null });
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
  async raiseMissing(alerts: Array<NewAlertRow>): Promise<void> {
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

  async findById(id: string): Promise<AlertRow | null> {
    const doc = await this.target.collection.findOne({ _id: id });
    return doc ? toAlertRow(doc) : null;
  }

  /**
   * Compare-and-set on the acknowledgement read by `_id`: the write holds only while the alert
   * still carries the acknowledgement it was compared with, so of two racing acknowledgements the
   * loser re-reads and compares again. Where updates are not isolated (FerretDB rewrites whole
   * documents, and its condition is tested on a read in this process), another process's write
   * may still land over ours: the alert is read once more and the winner written again if needed.
   */
  async acknowledge(
    alertId: string,
    eventId: string,
    acknowledgement: AlertAcknowledgementRow,
  ): Promise<{ row: AlertRow; changed: boolean }> {
    let changed = false;
    for (let attempt = 0; attempt < ACKNOWLEDGE_ATTEMPTS; attempt++) {
      const doc = await this.target.collection.findOne({ _id: alertId });
      if (!doc || doc.eventId !== eventId) throw storeErrors.alertNotInEvent(alertId);
      const current = doc.acknowledgement ?? null;
      if (!acknowledgementWins(acknowledgement, current)) {
        // Ours is stored (a repeat) or an earlier one stands; either way it is acknowledged.
        return { row: toAlertRow(doc), changed };
      }
      if (current?.id === acknowledgement.id) return { row: toAlertRow(doc), changed };
      const written = await this.context.changeLog.updateAndLog(
        this.target,
        alertId,
        { $set: { acknowledgement } },
        stillAcknowledgedBy(current),
      );
      if (!written) continue; // another acknowledgement landed between the read and the write
      changed = true;
      if (this.context.capabilities.isolatedUpdates) return { row: toAlertRow(written), changed };
      await sleep(20 * (attempt + 1));
    }
    const final = await this.target.collection.findOne({ _id: alertId });
    if (!final) throw storeErrors.alertNotInEvent(alertId);
    return { row: toAlertRow(final), changed };
  }
}
