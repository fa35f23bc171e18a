import { hasRoleAtLeast, type Role } from '@gatehouse/protocol';
import { create } from 'zustand';

export type Screen = 'events' | 'attendees' | 'checkin' | 'sync' | 'admin' | 'profile';

export const SCREEN_LABELS: Record<Screen, string> = {
  events: 'Events',
  attendees: 'Attendees',
  checkin: 'Check-in',
  sync: 'Sync',
  admin: 'Admin',
  profile: 'Profile',
};

/** What each role sees in the navigation, in order; the first is where they land after sign-in. */
export function screensFor(role: Role): Screen[] {
  if (role === 'admin') return ['events', 'attendees', 'checkin', 'sync', 'admin', 'profile'];
  if (hasRoleAtLeast(role, 'organizer')) return ['events', 'attendees', 'checkin', 'sync', 'profile'];
  if (hasRoleAtLeast(role, 'staff')) return ['checkin', 'sync', 'profile'];
  return [];
}

type NavigationStore = {
  screen: Screen;
  /** The event the attendee and check-in screens work on; chosen on the events screen or in place. */
  eventId: string | null;
  go: (screen: Screen) => void;
  chooseEvent: (eventId: string | null) => void;
};

/**
 * The screen is mirrored into the URL hash because Electron's permission handler grants the camera
 * only while the page shows `#/checkin` (electron/main/security/permissions.ts).
 */
function showInUrl(screen: Screen): void {
  if (typeof history !== 'undefined') history.replaceState(null, '', `#/${screen}`);
}

export const useNavigationStore = create<NavigationStore>((set) => ({
  screen: 'events',
  eventId: null,
  go: (screen) => {
    showInUrl(screen);
    set({ screen });
  },
  chooseEvent: (eventId) => set({ eventId }),
}));
