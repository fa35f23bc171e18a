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
  /** Only alerts nobody has acknowledged (the default: what still needs someone). */
  unacknowledgedOnly: boolean;
  error: UiError | null;
  syncing: boolean;
  load: () => Promise<void>;
  loadAlerts: (eventId?: string) => Promise<void>;
  setUnacknowledgedOnly: (on: boolean) => Promise<void>;
  /** Acknowledges an alert (queued, synced; works offline), then lists the alerts again. */
  acknowledge: (alert: ListedAlert) => Promise<void>;
  syncNow: () => Promise<void>;
  dismissRejected: (mutationId: string) => Promise<void>;
};

export const useSyncStore = create<SyncStore>((set, get) => ({
  status: null,
  alerts: [],
  alertsEventId: null,
  unacknowledgedOnly: true,
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
      const { unacknowledgedOnly } = get();
      const alerts = await invoke('sync.alerts', { ...(eventId ? { eventId } : {}), unacknowledgedOnly });
      // Only the answer for the event and filter still chosen is shown.
      if ((eventId ?? null) === get().alertsEventId && unacknowledgedOnly === get().unacknowledgedOnly) {
        set({ alerts });
      }
    } catch (error) {
      set({ error: describeError(error) });
    }
  },
  setUnacknowledgedOnly: async (on) => {
    set({ unacknowledgedOnly: on });
    await get().loadAlerts(get().alertsEventId ?? undefined);
  },
  acknowledge: async (alert) => {
    try {
      await invoke('alerts.acknowledge', { eventId: alert.eventId, alertId: alert.id });
      await get().loadAlerts(get().alertsEventId ?? undefined);
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
