import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideTokenStorage } from '../security/token-storage';
import { answerTokenStoreRequest, TOKEN_FILE, TokenVault, type TokenCipher } from '../token-vault';

/** A real AES-GCM cipher in place of Electron's safeStorage (the OS keychain cannot run here). */
function aesCipher(key = randomBytes(32)): TokenCipher {
  return {
    encryptString(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decryptString(encrypted) {
      const decipher = createDecipheriv('aes-256-gcm', key, encrypted.subarray(0, 12));
      decipher.setAuthTag(encrypted.subarray(12, 28));
      return Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

const persistent = decideTokenStorage({
  platform: 'linux',
  encryptionAvailable: true,
  linuxBackend: 'gnome_libsecret',
});
const basicText = decideTokenStorage({ platform: 'linux', encryptionAvailable: true, linuxBackend: 'basic_text' });
const REFRESH = 'rt_3f9a0c1d-very-secret-refresh-token';

describe('TokenVault', () => {
  it('with a keyring: stores only ciphertext on disk (0600) and reads it back after a restart', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-vault-'));
    const cipher = aesCipher();
    const vault = new TokenVault(dir, persistent, cipher);
    vault.set('refreshToken', REFRESH);
    const file = path.join(dir, TOKEN_FILE);
    expect(readFileSync(file, 'utf8')).not.toContain(REFRESH);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(new TokenVault(dir, persistent, cipher).get('refreshToken')).toBe(REFRESH);
    vault.delete('refreshToken');
    expect(new TokenVault(dir, persistent, cipher).get('refreshToken')).toBeNull();
  });

  it('with basic_text: keeps tokens in memory only, nothing is written', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-vault-'));
    const vault = new TokenVault(dir, basicText, aesCipher());
    vault.set('refreshToken', REFRESH);
    expect(vault.get('refreshToken')).toBe(REFRESH);
    expect(existsSync(path.join(dir, TOKEN_FILE))).toBe(false);
    expect(new TokenVault(dir, basicText, aesCipher()).get('refreshToken')).toBeNull();
  });

  it('drops values it cannot decrypt (another keyring) instead of failing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-vault-'));
    new TokenVault(dir, persistent, aesCipher()).set('refreshToken', REFRESH);
    expect(new TokenVault(dir, persistent, aesCipher()).get('refreshToken')).toBeNull();
  });

  it('answers core’s tokenStore requests by id', () => {
    const vault = new TokenVault(mkdtempSync(path.join(tmpdir(), 'gatehouse-vault-')), basicText, aesCipher());
    expect(
      answerTokenStoreRequest(vault, { type: 'tokenStore.request', id: 1, op: 'set', key: 'k', value: 'v' }),
    ).toEqual({
      type: 'tokenStore.response',
      id: 1,
      ok: true,
      value: null,
    });
    expect(answerTokenStoreRequest(vault, { type: 'tokenStore.request', id: 2, op: 'get', key: 'k' })).toMatchObject({
      id: 2,
      value: 'v',
    });
    answerTokenStoreRequest(vault, { type: 'tokenStore.request', id: 3, op: 'delete', key: 'k' });
    expect(answerTokenStoreRequest(vault, { type: 'tokenStore.request', id: 4, op: 'get', key: 'k' })).toMatchObject({
      value: null,
    });
  });

  it('turns a failing cipher into an error frame', () => {
    const broken: TokenCipher = {
      encryptString: () => {
        throw new Error('keychain locked');
      },
      decryptString: () => '',
    };
    const vault = new TokenVault(mkdtempSync(path.join(tmpdir(), 'gatehouse-vault-')), persistent, broken);
    expect(
      answerTokenStoreRequest(vault, { type: 'tokenStore.request', id: 9, op: 'set', key: 'k', value: 'v' }),
    ).toEqual({
      type: 'tokenStore.response',
      id: 9,
      ok: false,
      message: 'keychain locked',
    });
  });
});
