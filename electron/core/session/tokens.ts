import type { SessionTokens } from '../api/client';
import type { TokenStore } from '../tokens';

export function refreshTokenKey(accountKey: string): string {
  return `gatehouse:${accountKey}:refresh`;
}

/** Access token in memory only; the refresh token in the host's TokenStore, written before use. */
export class AccountTokens implements SessionTokens {
  private access: string | null = null;
  constructor(
    private readonly tokenStore: TokenStore,
    private readonly accountKey: string,
  ) {}
  accessToken(): string | null {
    return this.access;
  }
  refreshToken(): Promise<string | null> {
    return this.tokenStore.get(refreshTokenKey(this.accountKey));
  }
  async store(session: { accessToken: string; refreshToken: string }): Promise<void> {
    await this.tokenStore.set(refreshTokenKey(this.accountKey), session.refreshToken);
    this.access = session.accessToken;
  }
  async clear(): Promise<void> {
    this.access = null;
    await this.tokenStore.delete(refreshTokenKey(this.accountKey));
  }
}
