import {
  roleLabels,
  type Device,
  type MailMessage,
  type MailStatus,
  type User,
  type UserAdminPatch,
} from '@gatehouse/protocol';
import { create } from 'zustand';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';

type AdminStore = {
  users: User[];
  usersCursor: string | null;
  userQuery: string;
  devices: Device[];
  mail: MailMessage[];
  mailFilter: MailStatus | 'all';
  error: UiError | null;
  notice: string | null;
  loadUsers: (more?: boolean) => Promise<void>;
  setUserQuery: (q: string) => void;
  updateUser: (userId: string, patch: UserAdminPatch) => Promise<void>;
  loadDevices: () => Promise<void>;
  revokeDevice: (deviceId: string) => Promise<void>;
  /** Signs the user out on every device (they keep their data and outbox and are asked to sign in). */
  endSessions: (user: { id: string; name: string }) => Promise<void>;
  loadMail: () => Promise<void>;
  setMailFilter: (filter: MailStatus | 'all') => void;
  retryMail: (messageId: string) => Promise<void>;
  discardMail: (messageId: string) => Promise<void>;
  clearError: () => void;
};

/** What changed, said of the person: "Sam Steward is now an organizer." */
function describeUpdate(user: User, patch: UserAdminPatch): string {
  if (patch.disabled === true) return `${user.name} is disabled and signed out everywhere.`;
  if (patch.disabled === false) return `${user.name} can sign in again.`;
  if (patch.role) return `${user.name} is now ${roleLabels[patch.role].toLowerCase()}.`;
  return `${user.name} was updated.`;
}

export const useAdminStore = create<AdminStore>((set, get) => {
  async function attempt(action: () => Promise<void>, notice: string | null = null): Promise<void> {
    set({ error: null, notice: null });
    try {
      await action();
      if (notice) set({ notice });
    } catch (error) {
      set({ error: describeError(error) });
    }
  }
  return {
    users: [],
    usersCursor: null,
    userQuery: '',
    devices: [],
    mail: [],
    mailFilter: 'all',
    error: null,
    notice: null,
    loadUsers: (more = false) =>
      attempt(async () => {
        const q = get().userQuery.trim();
        const cursor = more ? get().usersCursor : null;
        const page = await invoke('admin.users.list', { ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) });
        set((state) => ({ users: more ? [...state.users, ...page.items] : page.items, usersCursor: page.nextCursor }));
      }),
    setUserQuery: (userQuery) => {
      set({ userQuery });
      void get().loadUsers();
    },
    updateUser: async (userId, patch) => {
      set({ error: null, notice: null });
      try {
        const updated = await invoke('admin.users.update', { userId, patch });
        set((state) => ({
          users: state.users.map((user) => (user.id === userId ? updated : user)),
          notice: describeUpdate(updated, patch),
        }));
      } catch (error) {
        set({ error: describeError(error) });
      }
    },
    loadDevices: () => attempt(async () => set({ devices: await invoke('admin.devices.list', {}) })),
    revokeDevice: (deviceId) =>
      attempt(async () => {
        await invoke('admin.devices.revoke', { deviceId });
        set({ devices: await invoke('admin.devices.list', {}) });
      }, 'Device revoked; it will be signed out at its next sync.'),
    endSessions: async (user) => {
      set({ error: null, notice: null });
      try {
        const { ended } = await invoke('admin.users.endSessions', { userId: user.id });
        set({
          notice:
            ended === 0
              ? `${user.name} was not signed in anywhere.`
              : `${user.name} was signed out of ${ended === 1 ? 'one session' : `${ended} sessions`}.`,
        });
      } catch (error) {
        set({ error: describeError(error) });
      }
    },
    loadMail: () =>
      attempt(async () => {
        const filter = get().mailFilter;
        set({ mail: await invoke('admin.mail.list', filter === 'all' ? {} : { status: filter }) });
      }),
    setMailFilter: (mailFilter) => {
      set({ mailFilter });
      void get().loadMail();
    },
    retryMail: (messageId) =>
      attempt(async () => {
        await invoke('admin.mail.retry', { messageId });
        await get().loadMail();
      }, 'Message queued to send again.'),
    discardMail: (messageId) =>
      attempt(async () => {
        await invoke('admin.mail.discard', { messageId });
        await get().loadMail();
      }, 'Message discarded.'),
    clearError: () => set({ error: null }),
  };
});
