import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import { writeErrorsOf } from '../batching';
import type { MongoCapabilities } from '../capabilities';
import { isDuplicateKeyError } from '../errors';
import type { Doc } from './specs';

/**
 * What the transfer's steps work on: the database, what it can do (capabilities.ts), and its
 * collections of string-keyed documents.
 */
export type TransferTarget = { db: Db; capabilities: MongoCapabilities; collection(name: string): Collection<Doc> };

/** Documents per insert command (a bulk command's size on FerretDB is bounded by statements, not inserts). */
export const INSERT_CHUNK = 1_000;

/**
 * Runs `operations` unordered, as many per command as the database takes. A duplicate key fails the
 * import naming the collection: the target holds a different row under another `_id`.
 */
export async function bulk(
  target: TransferTarget,
  collection: Collection<Doc>,
  operations: AnyBulkWriteOperation<Doc>[],
): Promise<void> {
  const perCommand = target.capabilities.maxUpdatesPerCommand;
  for (let start = 0; start < operations.length; start += perCommand) {
    try {
      await collection.bulkWrite(operations.slice(start, start + perCommand), { ordered: false });
    } catch (error) {
      if (isDuplicateKeyError(error) || writeErrorsOf(error)?.some((failure) => failure.code === 11000)) {
        throw new Error(
          `Cannot import into ${collection.collectionName}: a document with another _id holds the same unique key ` +
            `(the target database already has other data). ${(error as Error).message}`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/** Inserts new documents unordered, a thousand per command. */
export async function insertAll(collection: Collection<Doc>, docs: Doc[]): Promise<void> {
  for (const chunk of chunks(docs, INSERT_CHUNK)) await collection.insertMany(chunk, { ordered: false });
}

/** `items` in slices of `size` (the last one shorter). */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
