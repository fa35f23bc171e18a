import { roleLabels, type SessionState } from '@gatehouse/protocol';
import { useSessionStore } from '../session/sessionStore';
import { SyncBadge } from '../sync/SyncBadge';
import { SCREEN_LABELS, useNavigationStore, type Screen } from './navigationStore';

type User = NonNullable<SessionState['user']>;

export function SideNavigation({
  session,
  user,
  screens,
  current,
}: {
  session: SessionState;
  user: User;
  screens: Screen[];
  current: Screen;
}) {
  const go = useNavigationStore((state) => state.go);
  const signOut = useSessionStore((state) => state.signOut);
  return (
    <aside className="sidebar">
      <div className="brand" aria-hidden="true">
        Gatehouse
      </div>
      <nav aria-label="Main">
        <ul>
          {screens.map((screen) => (
            <li key={screen}>
              <button
                type="button"
                className="nav-item"
                aria-current={screen === current ? 'page' : undefined}
                onClick={() => go(screen)}
              >
                {SCREEN_LABELS[screen]}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <SyncBadge />
      <div className="whoami">
        <p className="whoami-name" title={user.name}>
          {user.name}
        </p>
        <p className="whoami-role">
          {roleLabels[user.role]}
          {session.online ? '' : ' · unlocked offline'}
        </p>
        <button type="button" className="button-secondary" onClick={() => void signOut(false)}>
          Sign out
        </button>
      </div>
    </aside>
  );
}
