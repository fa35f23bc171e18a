import { hasRoleAtLeast, type Role } from '@gatehouse/protocol';
import { create } from 'zustand';

export type Screen = 'events' | 'attendees' | 'checkin' | 'stats' | 'sync' | 'admin' | 'profile';

export const SCREEN_LABELS: Record<Screen, string> = {
  events: 'Events',
  attendees: 'Attendees',
  checkin: 'Check-in',
  stats: 'Stats',
  sync: 'Sync',
  admin: 'Admin',
  profile: 'Profile',
};

/** What each role sees in the navigation, in order; the first is where they land after sign-in. */
export function screensFor(role: Role): Screen[] {
  if (role === 'admin') return ['events', 'attendees', 'checkin', 'stats', 'sync', 'admin', 'profile'];
  if (hasRoleAtLeast(role, 'organizer')) return ['events', 'attendees', 'checkin', 'stats', 'sync', 'profile'];
  // Staff find attendees, show tickets and — where the event allows it — add walk-ins there.
  if (hasRoleAtLeast(role, 'staff')) return ['checkin', 'attendees', 'sync', 'profile'];
  return [];
}

type NavigationStore = {
  screen: Screen;
  /** Whose choices these are: the event is remembered per user, on this device. */
  userId: string | null;
  /** The event the attendee and check-in screens work on; chosen on the events screen or in place. */
  eventId: string | null;
  go: (screen: Screen) => void;
  chooseEvent: (eventId: string | null) => void;
  /** A new person at the screen: their remembered event, and the first screen of their role. */
  startSession: (userId: string | null) => void;
};

const eventKey = (userId: string) => `gatehouse.event.${userId}`;

function remembered(userId: string | null): string | null {
  if (!userId) return null;
  try {
    return window.localStorage.getItem(eventKey(userId));
  } catch {
    return null;
  }
}

function remember(userId: string | null, eventId: string | null): void {
  if (!userId) return;
  try {
    if (eventId) window.localStorage.setItem(eventKey(userId), eventId);
    else window.localStorage.removeItem(eventKey(userId));
  } catch {
    // A kiosk profile without storage asks for the event again after a reload.
  }
}

/**
 * The screen is mirrored into the URL hash because Electron's permission handler grants the camera
 * only while the page shows `#/checkin` (electron/main/security/permissions.ts).
 */
function showInUrl(screen: Screen): void {
  if (typeof history !== 'undefined') history.replaceState(null, '', `#/${screen}`);
}

export const useNavigationStore = create<NavigationStore>((set, get) => ({
  screen: 'events',
  userId: null,
  eventId: null,
  go: (screen) => {
    showInUrl(screen);
    set({ screen });
  },
  chooseEvent: (eventId) => {
    remember(get().userId, eventId);
    set({ eventId });
  },
  // The screen goes back to where every role starts; Layout moves it to the role's first allowed one.
  startSession: (userId) => set({ userId, eventId: remembered(userId), screen: 'events' }),
}));
