import type { Event, EventCreateInput, EventPatch } from '@gatehouse/protocol';
import { create } from 'zustand';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';

type EventsStore = {
  events: Event[];
  query: string;
  loading: boolean;
  loaded: boolean;
  error: UiError | null;
  load: () => Promise<void>;
  setQuery: (query: string) => void;
  create: (event: EventCreateInput) => Promise<Event | null>;
  update: (eventId: string, patch: EventPatch) => Promise<Event | null>;
  setStaff: (eventId: string, staffIds: string[]) => Promise<Event | null>;
  clearError: () => void;
};

export const useEventsStore = create<EventsStore>((set, get) => {
  /** Runs a write, reloads the list, and returns the saved event, or null with the error shown. */
  async function write(action: () => Promise<Event>): Promise<Event | null> {
    set({ error: null });
    try {
      const saved = await action();
      await get().load();
      return saved;
    } catch (error) {
      set({ error: describeError(error) });
      return null;
    }
  }
  return {
    events: [],
    query: '',
    loading: false,
    loaded: false,
    error: null,
    load: async () => {
      set({ loading: true });
      try {
        const q = get().query.trim();
        const events = await invoke('events.list', q ? { q } : {});
        set({ events, loading: false, loaded: true });
      } catch (error) {
        set({ loading: false, loaded: true, error: describeError(error) });
      }
    },
    setQuery: (query) => {
      set({ query });
      void get().load();
    },
    create: (event) => write(() => invoke('events.create', { event })),
    update: (eventId, patch) => write(() => invoke('events.update', { eventId, patch })),
    setStaff: (eventId, staffIds) => write(() => invoke('events.setStaff', { eventId, staffIds })),
    clearError: () => set({ error: null }),
  };
});
