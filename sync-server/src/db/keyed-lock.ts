/**
 * Runs tasks one at a time per key, within this process.
 *
 * MongoDB applies `$set` on different fields of one document atomically, so it needs none of this.
 * FerretDB (the test and small-site database) rewrites the whole document on every update without
 * isolation, so two concurrent updates of one row — say a staff assignment and a seat recount — can
 * silently undo each other. Serialising a process's writes per row removes that race for a single
 * server process; correctness across processes still rests on MongoDB's document atomicity.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/**
 * One process's writes of one row, whichever domain makes them: the change log's logged updates
 * and the mail sweeper's removal of hand-off marks share one, so neither rewrites the row from a
 * copy read before the other's write (see KeyedLock).
 */
export class RowLock {
  private readonly lock = new KeyedLock();

  run<T>(collection: { collectionName: string }, rowId: string, task: () => Promise<T>): Promise<T> {
    return this.lock.run(`${collection.collectionName}:${rowId}`, task);
  }
}
