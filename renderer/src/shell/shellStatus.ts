import type { ShellStatus } from '@gatehouse/protocol';
import { create } from 'zustand';
import { subscribe } from '../rpc/client';

/** Null in the browser host, which has no Electron shell and never sends `shell.status`. */
export const useShellStatusStore = create<{ status: ShellStatus | null }>(() => ({ status: null }));

export function watchShellStatus(): () => void {
  return subscribe('shell.status', (status) => useShellStatusStore.setState({ status }));
}

export type ShellNotice = { tone: 'error' | 'warning'; text: string; detail: string | null };

function timeOf(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** What a steward needs to know about the app itself, in plain words; nothing when all is well. */
export function shellNotices(status: ShellStatus | null): ShellNotice[] {
  if (!status) return [];
  const notices: ShellNotice[] = [];
  if (status.coreDownReason) {
    notices.push({
      tone: 'error',
      text: 'The local service stopped and is restarting. Check-ins already recorded are safe on this computer.',
      detail: status.coreDownReason,
    });
  } else if (status.coreRestarts > 0) {
    const when = status.lastCoreRestartAt ? `, last at ${timeOf(status.lastCoreRestartAt)}` : '';
    notices.push({
      tone: 'warning',
      text: `The local service was restarted after a crash (${status.coreRestarts}×${when}). Nothing was lost.`,
      detail: null,
    });
  }
  if (status.tokenStorage === 'memoryOnly') {
    notices.push({
      tone: 'warning',
      text: 'Your sign-in is not kept on this computer: after closing the app you will need to sign in again online.',
      detail: status.tokenStorageReason,
    });
  }
  return notices;
}
