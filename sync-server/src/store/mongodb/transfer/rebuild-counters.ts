import type { AnyBulkWriteOperation } from 'mongodb';
import { COLLECTIONS } from '../documents';
import type { Doc } from './specs';
import { bulk, insertAll, type TransferTarget } from './writes';

/**
 * The highest seq of each bucket's log: one `$group` on the server where it has `$max`
 * (MongoDB), else (FerretDB: "not implemented") the log streamed through here.
 */
async function logHeads(target: TransferTarget): Promise<Map<string, number>> {
  const changes = target.collection(COLLECTIONS.changes);
  const heads = new Map<string, number>();
  try {
    const groups = changes.aggregate<{ _id: string; seq: number }>(
      [{ $group: { _id: '$bucket', seq: { $max: '$seq' } } }],
      { allowDiskUse: true },
    );
    for await (const group of groups) heads.set(group._id, group.seq);
    return heads;
  } catch {
    heads.clear();
  }
  for await (const doc of changes.find({}, { projection: { bucket: 1, seq: 1 } })) {
    const bucket = doc.bucket as string;
    heads.set(bucket, Math.max(heads.get(bucket) ?? 0, doc.seq as number));
  }
  return heads;
}

/** Each bucket's counter at the highest seq of its log (no-ops included: they hold their seq). */
export async function rebuildCounters(target: TransferTarget): Promise<{ buckets: number; written: number }> {
  const heads = await logHeads(target);
  const current = new Map<string, Doc>();
  for await (const doc of target.collection(COLLECTIONS.buckets).find({})) current.set(doc._id as string, doc);
  const now = new Date();
  const fresh: Doc[] = [];
  const raise: AnyBulkWriteOperation<Doc>[] = [];
  for (const [bucket, seq] of heads) {
    const counter = current.get(bucket);
    if (!counter) fresh.push({ _id: bucket, seq, committedSeq: seq, updatedAt: now });
    else if ((counter.seq as number) < seq || ((counter.committedSeq as number | undefined) ?? 0) < seq) {
      raise.push({
        updateOne: {
          filter: { _id: bucket },
          update: { $max: { seq, committedSeq: seq }, $set: { updatedAt: now } },
        },
      });
    }
  }
  await insertAll(target.collection(COLLECTIONS.buckets), fresh);
  await bulk(target, target.collection(COLLECTIONS.buckets), raise);
  return { buckets: heads.size, written: fresh.length + raise.length };
}
