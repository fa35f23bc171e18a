import type { EventStaff, StaffMember } from '@gatehouse/protocol';
import { create } from 'zustand';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';

type StaffStore = {
  eventId: string | null;
  staff: EventStaff | null;
  query: string;
  busy: boolean;
  error: UiError | null;
  open: (eventId: string) => Promise<void>;
  search: (query: string) => Promise<void>;
  add: (member: StaffMember) => Promise<void>;
  remove: (member: StaffMember) => Promise<void>;
  clearError: () => void;
};

/** The organizer's door team for one event. Online only: the staff directory is on the server. */
export const useStaffStore = create<StaffStore>((set, get) => {
  /** Answers that arrive after a newer search (or another event) are dropped, not shown. */
  let latest = 0;
  const load = async () => {
    const { eventId, query } = get();
    if (!eventId) return;
    const ticket = ++latest;
    try {
      const q = query.trim();
      const staff = await invoke('events.staff', q ? { eventId, q } : { eventId });
      if (ticket === latest) set({ staff, error: null });
    } catch (error) {
      if (ticket === latest) set({ error: describeError(error) });
    }
  };
  const assign = async (staffIds: string[]) => {
    const { eventId } = get();
    if (!eventId) return;
    set({ busy: true });
    try {
      await invoke('events.setStaff', { eventId, staffIds });
      await load();
    } catch (error) {
      set({ error: describeError(error) });
    } finally {
      set({ busy: false });
    }
  };
  return {
    eventId: null,
    staff: null,
    query: '',
    busy: false,
    error: null,
    open: async (eventId) => {
      set({ eventId, staff: null, query: '', error: null });
      await load();
    },
    search: async (query) => {
      set({ query });
      await load();
    },
    add: (member) => assign([...(get().staff?.assigned ?? []).map((m) => m.id), member.id]),
    remove: (member) => assign((get().staff?.assigned ?? []).map((m) => m.id).filter((id) => id !== member.id)),
    clearError: () => set({ error: null }),
  };
});
