import type { RpcResult, SyncStatus } from '@gatehouse/protocol';
import { create } from 'zustand';
import { describeError, type UiError } from '../errors/messages';
import { invoke, subscribe } from '../rpc/client';

export type ListedAlert = RpcResult<'sync.alerts'>[number];

type SyncStore = {
  status: SyncStatus | null;
  alerts: ListedAlert[];
  /** The event the alerts are of (the chosen one), or null for every event on this device. */
  alertsEventId: string | null;
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
  alertsEventId: null,
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
    set({ alertsEventId: eventId ?? null });
    try {
      const alerts = await invoke('sync.alerts', eventId ? { eventId } : {});
      // Only the answer for the event still chosen is shown.
      if ((eventId ?? null) === get().alertsEventId) set({ alerts });
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
    const { alertsEventId, loadAlerts } = useSyncStore.getState();
    if (change.tables.includes('alerts')) void loadAlerts(alertsEventId ?? undefined);
  });
  return () => {
    offStatus();
    offData();
  };
}
