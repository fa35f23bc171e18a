import type { After, RefusalRepository } from '../port';
import type { RefusalRow } from '../rows';
import { storeErrors } from '../errors';
import { changeOf } from '../wire';
import type { LoggedCollection } from './changelog';
import type { StoreContext } from './context';
import { COLLECTIONS, toRefusalRow, withoutId, type RefusalDoc } from './documents';
import { isDuplicateKeyError } from './errors';
import { afterKey } from './queries';

/** Refused scans: append-only records of the door, inserted once by the id the device chose. */
export class MongoRefusals implements RefusalRepository {
  readonly target: LoggedCollection<RefusalDoc>;

  constructor(private readonly context: StoreContext) {
    this.target = context.changeLog.register({
      collection: context.db.collection<RefusalDoc>(COLLECTIONS.refusals),
      toChange: (doc) => changeOf.refusal(toRefusalRow(doc)),
    });
  }

  async record(row: Omit<RefusalRow, 'rev'>): Promise<{ row: RefusalRow; repeated: boolean }> {
    try {
      const stored = await this.context.changeLog.insertAndLog(this.target, { _id: row.id, ...withoutId(row) });
      return { row: toRefusalRow(stored), repeated: false };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const existing = await this.target.collection.findOne({ _id: row.id });
      if (!existing || existing.eventId !== row.eventId || existing.staffId !== row.staffId) {
        throw storeErrors.refusalIdTaken(row.id);
      }
      return { row: toRefusalRow(existing), repeated: true };
    }
  }

  async listForEvent(eventId: string, limit: number): Promise<RefusalRow[]> {
    const docs = await this.target.collection.find({ eventId }).sort({ hlc: -1, _id: 1 }).limit(limit).toArray();
    return docs.map(toRefusalRow);
  }

  async pageForEvent(eventId: string, after: After<string> | undefined, limit: number): Promise<RefusalRow[]> {
    const docs = await this.target.collection
      .find({ $and: [{ eventId }, afterKey<RefusalDoc>('hlc', 1, after)] })
      .sort({ hlc: 1, _id: 1 })
      .limit(limit + 1)
      .toArray();
    return docs.map(toRefusalRow);
  }
}
