import type { Collection } from 'mongodb';
import type { ImportProgressRepository, ImportProgressRow } from '../port';
import type { StoreContext } from './context';
import { upsertRacing } from './queries';
import { COLLECTIONS } from './documents';

type ProgressDoc = Omit<ImportProgressRow, 'updatedAtMs'> & { _id: string; updatedAt: Date };

/**
 * Import progress (port.ts ImportProgressRepository), one document per import by `_id`
 * `<eventId>:<importId>`: written (replaced, upserted) and read by `_id` alone, which FerretDB
 * answers without a scan. One writer per document (the import), so FerretDB's unisolated updates
 * cannot interleave. The prune's `updatedAt` range is indexed (indexes.ts).
 */
export class MongoImportProgress implements ImportProgressRepository {
  private readonly progress: Collection<ProgressDoc>;

  constructor(context: StoreContext) {
    this.progress = context.db.collection<ProgressDoc>(COLLECTIONS.importProgress);
  }

  async record(row: ImportProgressRow): Promise<void> {
    const { updatedAtMs, ...fields } = row;
    const _id = `${row.eventId}:${row.importId}`;
    await upsertRacing(() =>
      this.progress.replaceOne({ _id }, { ...fields, updatedAt: new Date(updatedAtMs) }, { upsert: true }),
    );
  }

  async get(eventId: string, importId: string): Promise<ImportProgressRow | null> {
    const doc = await this.progress.findOne({ _id: `${eventId}:${importId}` });
    if (!doc) return null;
    const { _id, updatedAt, ...fields } = doc;
    return { ...fields, updatedAtMs: updatedAt.getTime() };
  }

  async prune(beforeMs: number): Promise<void> {
    await this.progress.deleteMany({ updatedAt: { $lt: new Date(beforeMs) } });
  }
}
