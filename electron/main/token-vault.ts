import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TokenStoreRequestFrame, TokenStoreResponseFrame } from '@gatehouse/protocol';
import type { TokenStoragePolicy } from './security/token-storage';

/**
 * Main's side of core's TokenStore. With `policy.persist`, values are encrypted by the injected cipher
 * (Electron's `safeStorage`) and the ciphertexts kept in one JSON file in userData; otherwise they live
 * in this process's memory only — they survive a core crash and restart, not an app restart.
 */
export interface TokenCipher {
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export const TOKEN_FILE = 'tokens.enc.json';

export class TokenVault {
  private readonly memory = new Map<string, string>();
  private readonly file: string;

  constructor(
    userDataDir: string,
    readonly policy: TokenStoragePolicy,
    private readonly cipher: TokenCipher,
  ) {
    this.file = path.join(userDataDir, TOKEN_FILE);
    if (policy.persist) this.loadFromDisk();
  }

  get(key: string): string | null {
    return this.memory.get(key) ?? null;
  }

  set(key: string, value: string): void {
    this.memory.set(key, value);
    this.flush();
  }

  delete(key: string): void {
    this.memory.delete(key);
    this.flush();
  }

  private loadFromDisk(): void {
    let stored: unknown;
    try {
      stored = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return;
    }
    if (!stored || typeof stored !== 'object') return;
    for (const [key, encoded] of Object.entries(stored)) {
      if (typeof encoded !== 'string') continue;
      try {
        this.memory.set(key, this.cipher.decryptString(Buffer.from(encoded, 'base64')));
      } catch {
        // Encrypted under another keyring or user: unusable, the user signs in again.
      }
    }
  }

  private flush(): void {
    if (!this.policy.persist) return;
    const encrypted: Record<string, string> = {};
    for (const [key, value] of this.memory) encrypted[key] = this.cipher.encryptString(value).toString('base64');
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, JSON.stringify(encrypted), { mode: 0o600 });
    renameSync(temp, this.file);
  }
}

/** Answers one tokenStore request from core; never throws, a failure becomes an error frame. */
export function answerTokenStoreRequest(vault: TokenVault, request: TokenStoreRequestFrame): TokenStoreResponseFrame {
  try {
    if (request.op === 'get')
      return { type: 'tokenStore.response', id: request.id, ok: true, value: vault.get(request.key) };
    if (request.op === 'set') vault.set(request.key, request.value);
    else vault.delete(request.key);
    return { type: 'tokenStore.response', id: request.id, ok: true, value: null };
  } catch (error) {
    return {
      type: 'tokenStore.response',
      id: request.id,
      ok: false,
      message: error instanceof Error ? error.message : 'token store failed',
    };
  }
}
