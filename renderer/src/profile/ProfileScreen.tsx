import type { UserSession } from '@gatehouse/protocol';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';
import { useSessionStore } from '../session/sessionStore';
import { EmptyState } from '../ui/EmptyState';
import { ErrorNotice } from '../ui/ErrorNotice';
import { formatAgo, formatDateTime } from '../ui/format';

/**
 * The signed-in person's own account: where they are signed in (each session, this one marked,
 * any other ended with one click, or all of them) and their password. Online only: the server
 * keeps sessions, and ending one stops it on every server process within seconds.
 */
export function ProfileScreen() {
  const session = useSessionStore((state) => state.session);
  const [sessions, setSessions] = useState<UserSession[] | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setSessions(await invoke('profile.sessions.list', {}));
      setError(null);
    } catch (caught) {
      setError(describeError(caught));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  async function act(run: () => Promise<string>) {
    try {
      setNotice(await run());
      setError(null);
    } catch (caught) {
      setError(describeError(caught));
    }
    await load();
  }

  const others = sessions?.filter((entry) => !entry.current).length ?? 0;
  return (
    <section className="screen" aria-labelledby="profile-title">
      <header className="screen-header">
        <h1 id="profile-title">Profile</h1>
      </header>
      <p className="hint">
        {session?.user?.name} · {session?.user?.email} · {session?.user?.role}
      </p>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {notice ? (
        <p className="notice notice-ok" role="status">
          {notice}
        </p>
      ) : null}
      <section className="card" aria-labelledby="sessions-title">
        <div className="section-header">
          <h2 id="sessions-title">Where you are signed in</h2>
          <button
            type="button"
            className="button-small"
            disabled={others === 0}
            onClick={() =>
              void act(async () => {
                if (!window.confirm('Sign out every other session? They keep their data and ask to sign in again.'))
                  return 'Nothing was changed.';
                const { ended } = await invoke('profile.sessions.endOthers', {});
                return ended === 1 ? 'One other session was signed out.' : `${ended} other sessions were signed out.`;
              })
            }
          >
            Sign out everywhere else
          </button>
        </div>
        {sessions === null ? null : sessions.length === 0 ? (
          <EmptyState title="No sessions." />
        ) : (
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last active</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((entry) => (
                <tr key={entry.id}>
                  <td>
                    {entry.deviceName ??
                      (entry.deviceId ? `Device ${entry.deviceId.slice(0, 8)}` : 'No device (script or web)')}
                    {entry.current ? (
                      <>
                        {' '}
                        <span className="status status-in">this device</span>
                      </>
                    ) : null}
                  </td>
                  <td>{formatDateTime(entry.startedAt)}</td>
                  <td>{formatAgo(entry.lastActiveAt)}</td>
                  <td>
                    {entry.current ? null : (
                      <button
                        type="button"
                        className="button-small button-danger"
                        onClick={() =>
                          void act(async () => {
                            await invoke('profile.sessions.end', { sessionId: entry.id });
                            return 'That session was signed out.';
                          })
                        }
                      >
                        Sign out
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <PasswordChange onChanged={(text) => void act(async () => text)} onError={setError} />
    </section>
  );
}

function PasswordChange({
  onChanged,
  onError,
}: {
  onChanged: (text: string) => void;
  onError: (error: UiError) => void;
}) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const mismatch = repeat.length > 0 && next !== repeat;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (next !== repeat) return;
    setBusy(true);
    try {
      const { ended } = await invoke('profile.password.change', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setRepeat('');
      onChanged(
        `Password changed. ${ended === 0 ? 'No other session was signed in.' : `${ended} other session${ended === 1 ? ' was' : 's were'} signed out.`}`,
      );
    } catch (caught) {
      const error = describeError(caught);
      // Here the email is not in question: say which password was wrong.
      onError(error.code === 'INVALID_CREDENTIALS' ? { ...error, text: 'The current password is wrong.' } : error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card stack-form" aria-labelledby="password-title" onSubmit={(event) => void submit(event)}>
      <h2 id="password-title">Change password</h2>
      <p className="hint">
        Every other session is signed out; this one stays. Offline unlock on this device takes the new password.
      </p>
      <label>
        Current password
        <input
          type="password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          required
          autoComplete="current-password"
        />
      </label>
      <label>
        New password (at least 10 characters)
        <input
          type="password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          required
          minLength={10}
          maxLength={256}
          autoComplete="new-password"
        />
      </label>
      <label>
        New password again
        <input
          type="password"
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
          required
          aria-invalid={mismatch}
          aria-describedby={mismatch ? 'password-mismatch' : undefined}
          autoComplete="new-password"
        />
      </label>
      {mismatch ? (
        <p id="password-mismatch" className="field-error">
          The two new passwords differ.
        </p>
      ) : null}
      <button type="submit" className="button-primary" disabled={busy || mismatch}>
        {busy ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}
