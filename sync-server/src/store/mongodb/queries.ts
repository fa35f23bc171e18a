import type { Collection, Document, Filter } from 'mongodb';
import type { After } from '../port';
import type { MongoCapabilities } from './capabilities';
import { isDuplicateKeyError } from './errors';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Escapes user text for use inside a `$regex`, so search input can never become a pattern. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rows after a keyset position in a `(field, _id)` order: both ascending, or both descending.
 * `toStored` turns the port's sort value into the stored one (epoch ms → Date).
 */
export function afterKey<D extends Document>(
  field: string,
  direction: 1 | -1,
  after: After | undefined,
  toStored: (value: string | number) => unknown = (value) => value,
): Filter<D> {
  if (!after) return {};
  const op = direction === 1 ? '$gt' : '$lt';
  const value = toStored(after.value);
  return { $or: [{ [field]: { [op]: value } }, { [field]: value, _id: { [op]: after.id } }] } as Filter<D>;
}

/**
 * An upsert by `_id`, retried when two first upserts of one document race to insert it: MongoDB
 * (and FerretDB) may answer the loser with a duplicate-key error, and on the retry it updates.
 */
export async function upsertRacing<T>(upsert: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await upsert();
    } catch (error) {
      if (!isDuplicateKeyError(error) || attempt >= attempts) throw error;
    }
  }
}

/**
 * Documents by `_id`, in no particular order. `$in` where filters are indexed; elsewhere one
 * point read per id in parallel (FerretDB answers `$in` by reading the whole collection).
 * `projection` narrows what is read; the documents are then typed as whole ones, so a caller
 * reads only the fields it asked for.
 */
export async function findByIds<D extends { _id: string }>(
  collection: Collection<D>,
  ids: string[],
  capabilities: MongoCapabilities,
  projection?: Document,
): Promise<D[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const options = projection ? { projection } : {};
  if (capabilities.rangeReadsUseIndex || unique.length > 200) {
    return (await collection.find({ _id: { $in: unique } } as Filter<D>, options).toArray()) as D[];
  }
  const found = await Promise.all(unique.map((_id) => collection.findOne({ _id } as Filter<D>, options)));
  return found.filter((doc): doc is NonNullable<typeof doc> => doc !== null) as D[];
}
