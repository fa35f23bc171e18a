import { useEffect } from 'react';
import { SignInScreen } from '../session/SignInScreen';
import { useSessionStore, watchSession } from '../session/sessionStore';
import { watchSync } from '../sync/syncStore';
import { ErrorNotice } from '../ui/ErrorNotice';
import { Layout } from './Layout';

export function App() {
  const session = useSessionStore((state) => state.session);
  const error = useSessionStore((state) => state.error);
  const load = useSessionStore((state) => state.load);

  useEffect(() => {
    const offSession = watchSession();
    const offSync = watchSync();
    void load();
    return () => {
      offSession();
      offSync();
    };
  }, [load]);

  if (!session) {
    return (
      <main className="splash">
        <h1>Gatehouse</h1>
        {error ? <ErrorNotice error={error} /> : <p aria-live="polite">Connecting to the local service…</p>}
      </main>
    );
  }
  if (!session.user) return <SignInScreen session={session} />;
  return <Layout session={session} user={session.user} />;
}
