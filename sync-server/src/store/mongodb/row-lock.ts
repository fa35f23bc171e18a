/**
 * Runs tasks one at a time per key, within this process.
 *
 * Only where updates are not isolated (FerretDB rewrites the whole document on every update, so
 * two concurrent updates of one row — a staff assignment and a seat recount — can silently undo
 * each other). Serialising a process's writes per row removes that race for one server process;
 * across processes correctness rests on the database.
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
 * One process's writes of one row, whichever repository makes them (the change log's logged
 * updates, the removal of mail hand-off marks, a recount): a no-op where updates are isolated.
 */
export class RowLock {
  private readonly lock = new KeyedLock();

  constructor(private readonly enabled: boolean) {}

  run<T>(collection: { collectionName: string }, rowId: string, task: () => Promise<T>): Promise<T> {
    if (!this.enabled) return task();
    return this.lock.run(`${collection.collectionName}:${rowId}`, task);
  }
}
