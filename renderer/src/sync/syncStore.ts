import type { Alert, SyncStatus } from '@gatehouse/protocol';
import { create } from 'zustand';
import { describeError, type UiError } from '../errors/messages';
import { invoke, subscribe } from '../rpc/client';

type SyncStore = {
  status: SyncStatus | null;
  alerts: Alert[];
  error: UiError | null;
  syncing: boolean;
  load: () => Promise<void>;
  loadAlerts: (eventId?: string) => Promise<void>;
  syncNow: () => Promise<void>;
  dismissRejected: (mutationId: string) => Promise<void>;
};

export const useSyncStore = create<SyncStore>((set, get) => ({
  status: null,
  alerts: [],
  error: null,
  syncing: false,
  load: async () => {
    try {
      set({ status: await invoke('sync.status', {}) });
    } catch (error) {
      set({ error: describeError(error) });
    }
  },
  loadAlerts: async (eventId) => {
    try {
      set({ alerts: await invoke('sync.alerts', eventId ? { eventId } : {}) });
    } catch (error) {
      set({ error: describeError(error) });
    }
  },
  syncNow: async () => {
    set({ syncing: true, error: null });
    try {
      set({ status: await invoke('sync.now', {}), syncing: false });
    } catch (error) {
      set({ syncing: false, error: describeError(error) });
    }
  },
  dismissRejected: async (mutationId) => {
    try {
      await invoke('sync.dismissRejected', { mutationId });
      await get().load();
    } catch (error) {
      set({ error: describeError(error) });
    }
  },
}));

export function watchSync(): () => void {
  const offStatus = subscribe('sync.status', (status) => useSyncStore.setState({ status }));
  const offData = subscribe('data.changed', (change) => {
    if (change.tables.includes('alerts')) void useSyncStore.getState().loadAlerts();
  });
  return () => {
    offStatus();
    offData();
  };
}
