import { useEffect, useLayoutEffect } from 'react';
import { SignInScreen } from '../session/SignInScreen';
import { useSessionStore, watchSession } from '../session/sessionStore';
import { watchSync } from '../sync/syncStore';
import { ErrorNotice } from '../ui/ErrorNotice';
import { Layout } from './Layout';
import { resetScreensFor } from './sessionScreens';
import { ShellNotices } from './ShellNotices';
import { watchShellStatus } from './shellStatus';

export function App() {
  const session = useSessionStore((state) => state.session);
  const error = useSessionStore((state) => state.error);
  const load = useSessionStore((state) => state.load);
  const userId = session?.user?.id ?? null;
  // Before the browser paints the new person's screen, so the last person's is never seen.
  useLayoutEffect(() => resetScreensFor(userId), [userId]);

  useEffect(() => {
    const offSession = watchSession();
    const offSync = watchSync();
    const offShell = watchShellStatus();
    void load();
    return () => {
      offSession();
      offSync();
      offShell();
    };
  }, [load]);

  if (!session) {
    return (
      <main className="splash">
        <h1>Gatehouse</h1>
        <ShellNotices />
        {error ? <ErrorNotice error={error} /> : <p aria-live="polite">Connecting to the local service…</p>}
      </main>
    );
  }
  return (
    <>
      <ShellNotices />
      {session.user ? <Layout session={session} user={session.user} /> : <SignInScreen session={session} />}
    </>
  );
}
