import stringify from 'safe-stable-stringify';
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { writeErrorsOf } from '../batching';
import { type BlobHeadDoc, MongoBlobs, toBlobRow } from '../blobs';
import { COLLECTIONS } from '../documents';
import { type Doc, type DocOf, HANDOFF_KINDS, type Row } from './specs';
import { bulk, chunks, INSERT_CHUNK, type TransferTarget } from './writes';

/**
 * Inserts the documents unordered (one command per thousand: the common case, a fresh target),
 * then writes those whose `_id` exists with `$set` by `_id` — as many per command as the
 * database takes. A document whose other unique key (an email, a booking code) belongs to
 * another `_id` fails the import: the target holds a different row.
 */
export async function writeDocs(target: TransferTarget, collection: Collection<Doc>, docs: DocOf[]): Promise<void> {
  const existing: DocOf[] = [];
  for (let start = 0; start < docs.length; start += INSERT_CHUNK) {
    const chunk = docs.slice(start, start + INSERT_CHUNK);
    try {
      await collection.insertMany(
        chunk.map((doc) => ({ _id: doc._id, ...doc.setOnInsert, ...doc.set })),
        { ordered: false },
      );
    } catch (error) {
      const failures = writeErrorsOf(error);
      if (!failures || failures.length === 0 || failures.some((failure) => failure.code !== 11000)) throw error;
      for (const failure of failures) existing.push(chunk[failure.index]!);
    }
  }
  const operations: AnyBulkWriteOperation<Doc>[] = existing.map((doc) => ({
    updateOne: {
      filter: { _id: doc._id },
      update: doc.setOnInsert ? { $set: doc.set, $setOnInsert: doc.setOnInsert } : { $set: doc.set },
      upsert: true,
    },
  }));
  await bulk(target, collection, operations);
}

/** Writes each blob as a put does (new chunks, then its head): importing again replaces it whole. */
export async function importBlobs(target: TransferTarget, rows: Row<'blobs'>[]): Promise<void> {
  const blobs = new MongoBlobs({ db: target.db });
  for (const row of rows) {
    const { dataBase64, id, ...fields } = row;
    const existing = await target.collection(COLLECTIONS.blobs).findOne({ _id: id });
    // The same blob already here (a resumed or repeated import): left as it is, chunks and all.
    if (existing && stringify(toBlobRow(existing as unknown as BlobHeadDoc)) === stringify({ id, ...fields })) continue;
    await blobs.writeBlob({ _id: id, ...fields, version: randomUUID(), chunks: 0 }, Buffer.from(dataBase64, 'base64'));
  }
}

/** Sets the items on the row they belong to (imported before: bookings and events come first). */
export async function importHandoffs(target: TransferTarget, rows: Row<'mailHandoffs'>[]): Promise<void> {
  for (const kind of HANDOFF_KINDS) {
    const mine = rows.filter((row) => row.kind === kind);
    if (mine.length === 0) continue;
    const collection = target.collection(kind === 'booking' ? COLLECTIONS.bookings : COLLECTIONS.events);
    await bulk(
      target,
      collection,
      mine.map((row) => ({
        updateOne: { filter: { _id: row.rowId }, update: { $set: { mailPending: row.items, mailRev: row.rev } } },
      })),
    );
    const found = new Set<string>();
    for (const ids of chunks(
      mine.map((row) => row.rowId),
      INSERT_CHUNK,
    )) {
      const docs = await collection.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray();
      for (const doc of docs) found.add(doc._id as string);
    }
    const missing = mine.find((row) => !found.has(row.rowId));
    if (missing) throw new Error(`Mail hand-off for ${kind} ${missing.rowId}, which was not imported`);
  }
}
