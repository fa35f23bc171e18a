import { GatehouseError } from '@gatehouse/protocol';
import type { ServerConfig } from '../config';
import type { LockoutRepository } from '../store/port';

/**
 * Login lock-out, kept in the store so it holds across server processes and restarts.
 *
 * Two scopes: (account, client IP) locks after `threshold` failures; the account as a whole locks
 * only after five times as many, from any mix of IPs. An attacker on one address therefore locks
 * only themselves out of that account, and even a distributed attack can hold an account for at most
 * `maxSeconds` at a time — locks double from `baseSeconds` and expire on their own, never forever.
 * A successful sign-in clears the pair's counter.
 */
export class LoginLockout {
  constructor(
    private readonly attempts: LockoutRepository,
    private readonly config: ServerConfig['lockout'],
  ) {}

  private keys(email: string, ip: string): { pair: string; account: string } {
    return { pair: `pair:${email}:${ip}`, account: `account:${email}` };
  }

  /** ACCOUNT_LOCKED (429, with Retry-After) while the pair or the account is locked. */
  async assertNotLocked(email: string, ip: string, now = Date.now()): Promise<void> {
    const { pair, account } = this.keys(email, ip);
    const lockedUntil = await this.attempts.lockedUntil([pair, account]);
    if (lockedUntil > now) {
      const retryAfterSeconds = Math.ceil((lockedUntil - now) / 1000);
      throw new GatehouseError(
        'ACCOUNT_LOCKED',
        `Too many failed sign-ins; try again in ${retryAfterSeconds} s`,
        undefined,
        { retryAfterSeconds },
      );
    }
  }

  async recordFailure(email: string, ip: string, now = Date.now()): Promise<void> {
    const { pair, account } = this.keys(email, ip);
    await Promise.all([
      this.bump(pair, this.config.threshold, now),
      this.bump(account, this.config.threshold * 5, now),
    ]);
  }

  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.attempts.clear(this.keys(email, ip).pair);
  }

  private async bump(key: string, threshold: number, now: number): Promise<void> {
    const failures = await this.attempts.recordFailure(key, now);
    if (failures < threshold) return;
    const exponent = Math.min(failures - threshold, 20);
    const seconds = Math.min(this.config.baseSeconds * 2 ** exponent, this.config.maxSeconds);
    await this.attempts.lock(key, now + seconds * 1000);
  }
}
