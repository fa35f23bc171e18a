/**
 * Whether refresh tokens may be written to disk. They are only ever written encrypted by
 * `safeStorage`; on Linux, when no keyring is reachable, Chromium falls back to `basic_text`, which is
 * a hard-coded key — effectively plaintext — so we keep the token in memory only: the user stays
 * signed in while the app runs and signs in again (or unlocks offline) after a restart.
 */
export type SafeStorageBackend = 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown';

export interface TokenStoragePolicy {
  persist: boolean;
  /** Shown to the user when `persist` is false. */
  reason: string | null;
}

export function decideTokenStorage(input: {
  platform: NodeJS.Platform;
  encryptionAvailable: boolean;
  /** `safeStorage.getSelectedStorageBackend()`; Linux only, undefined elsewhere. */
  linuxBackend?: SafeStorageBackend | string | undefined;
}): TokenStoragePolicy {
  if (!input.encryptionAvailable) {
    return { persist: false, reason: 'The operating system offers no encryption for stored credentials.' };
  }
  if (input.platform === 'linux') {
    const backend = input.linuxBackend;
    if (backend === 'basic_text' || backend === 'unknown' || backend === undefined) {
      return {
        persist: false,
        reason:
          'No system keyring (GNOME Keyring / KWallet) is available, so sign-in is kept in memory only: ' +
          'you will sign in again after restarting Gatehouse.',
      };
    }
    if (!['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6'].includes(backend)) {
      return { persist: false, reason: `Unrecognised credential storage "${backend}"; not trusted.` };
    }
  }
  return { persist: true, reason: null };
}
