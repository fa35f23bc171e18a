import type { Collection } from 'mongodb';
import type { LockoutRepository } from '../port';
import type { StoreContext } from './context';
import { COLLECTIONS } from './documents';
import { findByIds, upsertRacing } from './queries';

type AttemptDoc = { _id: string; failures: number; lockedUntil: Date | null; updatedAt: Date };

/** Failed sign-ins per key, in the database so a lock holds across server processes (policy: auth/lockout.ts). */
export class MongoLockouts implements LockoutRepository {
  private readonly attempts: Collection<AttemptDoc>;

  constructor(private readonly context: StoreContext) {
    this.attempts = context.db.collection<AttemptDoc>(COLLECTIONS.loginAttempts);
  }

  async lockedUntil(keys: string[]): Promise<number> {
    const docs = await findByIds(this.attempts, keys, this.context.capabilities);
    return docs.reduce((latest, doc) => Math.max(latest, doc.lockedUntil?.getTime() ?? 0), 0);
  }

  /**
   * One upsert with `$inc`. Where `$inc` is not atomic (FerretDB) this process's failures of a key
   * are counted one at a time (the row lock); across processes a count may then come out low,
   * which only delays a lock by a failure or two.
   */
  async recordFailure(key: string, nowMs: number): Promise<number> {
    const now = new Date(nowMs);
    const bump = () =>
      upsertRacing(() =>
        this.attempts.findOneAndUpdate(
          { _id: key },
          { $inc: { failures: 1 }, $set: { updatedAt: now }, $setOnInsert: { lockedUntil: null } },
          { upsert: true, returnDocument: 'after' },
        ),
      );
    const doc = this.context.capabilities.atomicIncrement
      ? await bump()
      : await this.context.rowLock.run(this.attempts, key, bump);
    return doc?.failures ?? 1;
  }

  async lock(key: string, untilMs: number): Promise<void> {
    await upsertRacing(() =>
      this.attempts.updateOne(
        { _id: key },
        { $set: { lockedUntil: new Date(untilMs), updatedAt: new Date() }, $setOnInsert: { failures: 0 } },
        { upsert: true },
      ),
    );
  }

  async clear(key: string): Promise<void> {
    await this.attempts.deleteOne({ _id: key });
  }
}
