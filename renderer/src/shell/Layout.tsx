import type { SessionState } from '@gatehouse/protocol';
import { useEffect } from 'react';
import { AdminScreen } from '../admin/AdminScreen';
import { AttendeesScreen } from '../attendees/AttendeesScreen';
import { CheckinScreen } from '../checkin/CheckinScreen';
import { EventsScreen } from '../events/EventsScreen';
import { useEventsStore } from '../events/eventsStore';
import { ProfileScreen } from '../profile/ProfileScreen';
import { RefusedChangesBanner } from '../sync/RefusedChangesBanner';
import { StatsScreen } from '../stats/StatsScreen';
import { SyncScreen } from '../sync/SyncScreen';
import { useSyncStore } from '../sync/syncStore';
import { onDataChanged } from '../rpc/dataChanged';
import { screensFor, useNavigationStore, type Screen } from './navigationStore';
import { SideNavigation } from './SideNavigation';

type User = NonNullable<SessionState['user']>;

const SCREENS: Record<Screen, () => React.JSX.Element> = {
  events: EventsScreen,
  attendees: AttendeesScreen,
  checkin: CheckinScreen,
  stats: StatsScreen,
  sync: SyncScreen,
  admin: AdminScreen,
  profile: ProfileScreen,
};

export function Layout({ session, user }: { session: SessionState; user: User }) {
  const allowed = screensFor(user.role);
  const screen = useNavigationStore((state) => state.screen);
  const go = useNavigationStore((state) => state.go);
  const loadEvents = useEventsStore((state) => state.load);
  const loadSync = useSyncStore((state) => state.load);
  const current = allowed.includes(screen) ? screen : allowed[0];

  useEffect(() => {
    if (current && current !== screen) go(current);
  }, [current, screen, go]);

  useEffect(() => {
    void loadEvents();
    void loadSync();
    return onDataChanged(null, () => void loadEvents(), 400);
  }, [loadEvents, loadSync, user.id]);

  if (!current) {
    return (
      <main className="splash">
        <h1>Gatehouse</h1>
        <p>Your account ({user.email}) has no staff role. Attendees book through the website.</p>
      </main>
    );
  }
  const Current = SCREENS[current];
  return (
    <div className="layout">
      <SideNavigation session={session} user={user} screens={allowed} current={current} />
      <main className="content" id="main">
        <RefusedChangesBanner />
        <Current />
      </main>
    </div>
  );
}
