import type { SessionState } from '@gatehouse/protocol';
import { create } from 'zustand';
import { describeError, type UiError } from '../errors/messages';
import { invoke, subscribe } from '../rpc/client';

type SessionStore = {
  session: SessionState | null;
  busy: boolean;
  error: UiError | null;
  load: () => Promise<void>;
  signIn: (input: { serverUrl: string; email: string; password: string }) => Promise<void>;
  unlock: (input: { email: string; password: string }) => Promise<void>;
  signOut: (wipeLocalData: boolean) => Promise<void>;
  clearError: () => void;
};

export const useSessionStore = create<SessionStore>((set) => {
  async function run(action: () => Promise<SessionState>): Promise<void> {
    set({ busy: true, error: null });
    try {
      set({ session: await action(), busy: false });
    } catch (error) {
      set({ busy: false, error: describeError(error) });
    }
  }
  return {
    session: null,
    busy: false,
    error: null,
    load: () => run(() => invoke('session.get', {})),
    signIn: (input) => run(() => invoke('session.signIn', input)),
    unlock: (input) => run(() => invoke('session.unlock', input)),
    signOut: (wipeLocalData) => run(() => invoke('session.signOut', { wipeLocalData })),
    clearError: () => set({ error: null }),
  };
});

/** Core tells every window when the session changes (sign-out elsewhere, token revoked). */
export function watchSession(): () => void {
  return subscribe('session.changed', (session) => useSessionStore.setState({ session }));
}
