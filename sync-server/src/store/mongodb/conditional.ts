import type { Collection, Filter, UpdateFilter } from 'mongodb';
import type { MongoCapabilities } from './capabilities';
import type { RowLock } from './row-lock';

/**
 * A condition on a row's current state, in both forms: a filter (where compound filters are
 * indexed and the test-and-write is one isolated step) and a test run in this process (FerretDB,
 * where a compound filter reads the whole collection and is not isolated from its write anyway).
 */
export type Condition<D> = { filter: Filter<D>; holds: (doc: D) => boolean };

/** Equality on fields; `null` also matches a missing field, as in a MongoDB filter. */
export function fieldsEqual<D extends object>(expected: Partial<D>): Condition<D> {
  const entries = Object.entries(expected) as Array<[string, unknown]>;
  return {
    filter: expected as Filter<D>,
    holds: (doc) =>
      entries.every(([field, value]) => {
        const actual = (doc as Record<string, unknown>)[field];
        return value === null ? actual === null || actual === undefined : actual === value;
      }),
  };
}

export type ConditionalContext = { capabilities: MongoCapabilities; rowLock: RowLock };

/**
 * Updates the row `id` if `condition` holds, returning it as written, or null. One
 * `findOneAndUpdate` where filters are indexed; otherwise under the row lock a read by `_id`, the
 * test here, and an update by `_id` — two point commands instead of a scan of the collection.
 */
export function updateWhere<D extends { _id: string }>(
  context: ConditionalContext,
  collection: Collection<D>,
  id: string,
  condition: Condition<D> | null,
  update: UpdateFilter<D>,
): Promise<D | null> {
  const byId = { _id: id } as Filter<D>;
  return context.rowLock.run(collection, id, async () => {
    if (!condition) {
      return (await collection.findOneAndUpdate(byId, update, { returnDocument: 'after' })) as D | null;
    }
    if (context.capabilities.rangeReadsUseIndex) {
      const filter = { ...condition.filter, _id: id } as Filter<D>;
      return (await collection.findOneAndUpdate(filter, update, { returnDocument: 'after' })) as D | null;
    }
    const current = (await collection.findOne(byId)) as D | null;
    if (!current || !condition.holds(current)) return null;
    return (await collection.findOneAndUpdate(byId, update, { returnDocument: 'after' })) as D | null;
  });
}
