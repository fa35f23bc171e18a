import type { Document, Filter, FindCursor } from 'mongodb';
import type { RepositoryName } from '../../transfer';
import { type BlobHeadDoc, MongoBlobs, toBlobRow } from '../blobs';
import { COLLECTIONS } from '../documents';
import { translateError } from '../errors';
import { type Doc, HANDOFF_KINDS, type Row, specOf } from './specs';
import type { TransferTarget } from './writes';

/** Rows walked per cursor batch. */
const CURSOR_BATCH = 1_000;

function splitKey(key: string, separator: string, last = false): [string, string] {
  const at = last ? key.lastIndexOf(separator) : key.indexOf(separator);
  return [key.slice(0, at), key.slice(at + separator.length)];
}

/** A walk in progress: the next call that continues from `lastKey` reads on from the same cursor. */
export type Walk = { lastKey: string | null; cursor: FindCursor<Doc> };

/**
 * The next `limit` documents after `afterKey`. A walk that goes on from where the last call
 * ended reads on from the same sorted cursor: FerretDB answers a range by reading the whole
 * collection, so one cursor per walk rather than one query per page.
 */
export async function readWalk(
  target: TransferTarget,
  walks: Map<RepositoryName, Walk>,
  repository: RepositoryName,
  afterKey: string | null,
  limit: number,
): Promise<Doc[]> {
  for (let attempt = 0; ; attempt++) {
    let walk = walks.get(repository);
    if (!walk || walk.lastKey !== afterKey) {
      await walk?.cursor.close().catch(() => undefined);
      walk = { lastKey: afterKey, cursor: openCursor(target, repository, afterKey) };
      walks.set(repository, walk);
    }
    const docs: Doc[] = [];
    try {
      while (docs.length < limit) {
        const doc = await walk.cursor.next();
        if (doc === null) break;
        docs.push(doc);
      }
    } catch (error) {
      // A cursor idle for longer than the server keeps it (10 min) is gone: open it again here.
      walks.delete(repository);
      await walk.cursor.close().catch(() => undefined);
      if (attempt === 0 && docs.length === 0) continue;
      throw translateError(error);
    }
    if (docs.length < limit) {
      walks.delete(repository);
      await walk.cursor.close().catch(() => undefined);
    }
    return docs;
  }
}

function openCursor(target: TransferTarget, repository: RepositoryName, afterKey: string | null): FindCursor<Doc> {
  const spec = specOf(repository);
  const and: Filter<Doc>[] = spec.filter ? [spec.filter] : [];
  let sort: Document = { _id: 1 };
  if (repository === 'changes') {
    sort = { bucket: 1, seq: 1 };
    if (afterKey !== null) {
      const [bucket, seq] = splitKey(afterKey, '\u0000', true);
      and.push({ $or: [{ bucket: { $gt: bucket } }, { bucket, seq: { $gt: Number(seq) } }] });
    }
  } else if (afterKey !== null) {
    and.push({ _id: { $gt: afterKey } });
  }
  const filter = and.length === 0 ? {} : and.length === 1 ? and[0]! : { $and: and };
  return target.collection(spec.collection).find(filter).sort(sort).batchSize(CURSOR_BATCH);
}

/** Hand-offs live on their rows (`mailPending`, `mailRev`): bookings' first, then events', by id. */
export async function exportHandoffs(
  target: TransferTarget,
  afterKey: string | null,
  limit: number,
): Promise<Row<'mailHandoffs'>[]> {
  const rows: Row<'mailHandoffs'>[] = [];
  const [afterKind, afterId] = afterKey === null ? [null, null] : splitKey(afterKey, ':');
  for (const kind of HANDOFF_KINDS) {
    if (rows.length >= limit) break;
    if (afterKind !== null && kind < afterKind) continue;
    const filter: Filter<Doc> = { mailPending: { $gt: '' } };
    if (afterKind === kind) filter._id = { $gt: afterId };
    const docs = await target
      .collection(kind === 'booking' ? COLLECTIONS.bookings : COLLECTIONS.events)
      .find(filter, { projection: { _id: 1, rev: 1, mailPending: 1, mailRev: 1 } })
      .sort({ _id: 1 })
      .limit(limit - rows.length)
      .toArray();
    for (const doc of docs) {
      rows.push({
        kind,
        rowId: doc._id as string,
        items: [...(doc.mailPending as string[])],
        rev: (doc.mailRev ?? doc.rev ?? 0) as number,
      });
    }
  }
  return rows;
}

/** Reads each exported head's chunks into its row (a blob a put replaced meanwhile is read again whole). */
export async function addBlobBytes(target: TransferTarget, heads: BlobHeadDoc[], rows: Row<'blobs'>[]): Promise<void> {
  const blobs = new MongoBlobs({ db: target.db });
  for (let index = 0; index < heads.length; index++) {
    const bytes = await blobs.readChunks(heads[index]!);
    const stored = bytes ? { row: toBlobRow(heads[index]!), bytes } : await blobs.get(heads[index]!._id);
    if (!stored) throw new Error(`blob ${heads[index]!._id} was deleted while it was exported`);
    rows[index] = { ...stored.row, dataBase64: stored.bytes.toString('base64') };
  }
}
