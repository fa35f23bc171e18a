import { GatehouseError } from '@gatehouse/protocol';
import type { Collection, Db } from 'mongodb';
import type { ServerConfig } from '../config';
import { ensureTtlIndex, upsertRacing } from '../db/mongo';

type AttemptDoc = { _id: string; failures: number; lockedUntil: Date | null; updatedAt: Date };

/**
 * Login lock-out, stored in MongoDB so it holds across server processes.
 *
 * Two scopes: (account, client IP) locks after `threshold` failures; the account as a whole locks
 * only after five times as many, from any mix of IPs. An attacker on one address therefore locks
 * only themselves out of that account, and even a distributed attack can hold an account for at most
 * `maxSeconds` at a time — locks double from `baseSeconds` and expire on their own, never forever.
 * A successful sign-in clears the pair's counter.
 */
export class LoginLockout {
  private readonly attempts: Collection<AttemptDoc>;
  constructor(
    db: Db,
    private readonly config: ServerConfig['lockout'],
  ) {
    this.attempts = db.collection<AttemptDoc>('loginAttempts');
  }

  async ensureIndexes(): Promise<void> {
    await ensureTtlIndex(this.attempts, 'updatedAt', 24 * 3600);
  }

  private keys(email: string, ip: string): { pair: string; account: string } {
    return { pair: `pair:${email}:${ip}`, account: `account:${email}` };
  }

  async assertNotLocked(email: string, ip: string, now = new Date()): Promise<void> {
    const { pair, account } = this.keys(email, ip);
    const docs = await this.attempts.find({ _id: { $in: [pair, account] } }).toArray();
    const lockedUntil = docs
      .map((doc) => doc.lockedUntil?.getTime() ?? 0)
      .reduce((latest, time) => Math.max(latest, time), 0);
    if (lockedUntil > now.getTime()) {
      const retryAfterSeconds = Math.ceil((lockedUntil - now.getTime()) / 1000);
      throw new GatehouseError(
        'ACCOUNT_LOCKED',
        `Too many failed sign-ins; try again in ${retryAfterSeconds} s`,
        undefined,
        { retryAfterSeconds },
      );
    }
  }

  async recordFailure(email: string, ip: string, now = new Date()): Promise<void> {
    const { pair, account } = this.keys(email, ip);
    await Promise.all([
      this.bump(pair, this.config.threshold, now),
      this.bump(account, this.config.threshold * 5, now),
    ]);
  }

  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.attempts.deleteOne({ _id: this.keys(email, ip).pair });
  }

  private async bump(id: string, threshold: number, now: Date): Promise<void> {
    // Parallel failed logins of one account race to create its record.
    const doc = await upsertRacing(() =>
      this.attempts.findOneAndUpdate(
        { _id: id },
        { $inc: { failures: 1 }, $set: { updatedAt: now }, $setOnInsert: { lockedUntil: null } },
        { upsert: true, returnDocument: 'after' },
      ),
    );
    if (!doc || doc.failures < threshold) return;
    const exponent = Math.min(doc.failures - threshold, 20);
    const seconds = Math.min(this.config.baseSeconds * 2 ** exponent, this.config.maxSeconds);
    await this.attempts.updateOne({ _id: id }, { $set: { lockedUntil: new Date(now.getTime() + seconds * 1000) } });
  }
}
