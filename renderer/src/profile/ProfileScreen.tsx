import type { UserSession } from '@gatehouse/protocol';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { describeError, type UiError } from '../errors/messages';
import { PhotoField } from '../photos/PhotoField';
import { invoke } from '../rpc/client';
import { useSessionStore } from '../session/sessionStore';
import { EmptyState } from '../ui/EmptyState';
import { ErrorNotice } from '../ui/ErrorNotice';
import { localProblem, placeProblems, type FieldMap } from '../ui/fieldProblems';
import { FormField } from '../ui/FormField';
import { formatAgo, formatDateTime } from '../ui/format';
import { AccountDetails } from './AccountDetails';

/**
 * The signed-in person's own account: their name and email (AccountDetails), where they are signed in (each session, this one marked,
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
      <AccountDetails onNotice={(text) => void act(async () => text)} />
      <section className="card" aria-labelledby="photo-title">
        <h2 id="photo-title">Profile photo</h2>
        <PhotoField target={{ kind: 'mine' }} label="Your profile photo" canEdit />
      </section>
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
      <PasswordChange onChanged={(text) => void act(async () => text)} />
    </section>
  );
}

type PasswordField = 'currentPassword' | 'newPassword' | 'repeat';

/**
 * `profile.password.change` params (protocol auth.ts `passwordChangeRequestSchema`) to the fields.
 * A wrong current password comes back as INVALID_CREDENTIALS; here the email is not in question.
 */
const PASSWORD_FIELDS: FieldMap<PasswordField> = {
  paths: {
    currentPassword: { field: 'currentPassword', text: 'Enter your current password.' },
    newPassword: { field: 'newPassword', text: 'The new password needs at least 10 characters (at most 256).' },
  },
  codes: { INVALID_CREDENTIALS: { fields: ['currentPassword'], text: 'The current password is wrong.' } },
};

/**
 * The password form. The core's schema judges the passwords (not the browser's own checks, so
 * every message sits beside its field); only the repeat is compared here.
 */
function PasswordChange({ onChanged }: { onChanged: (text: string) => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const mismatch = repeat.length > 0 && next !== repeat;
  const placed = mismatch
    ? localProblem<PasswordField>('repeat', 'The two new passwords differ.')
    : placeProblems(error, PASSWORD_FIELDS);
  /** Editing a field at fault takes the mark away: the person is fixing it. */
  const edited = (field: PasswordField) => {
    if (placed.fields[field]) setError(null);
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (next !== repeat) return;
    setBusy(true);
    setError(null);
    try {
      const { ended } = await invoke('profile.password.change', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setRepeat('');
      onChanged(
        `Password changed. ${ended === 0 ? 'No other session was signed in.' : `${ended} other session${ended === 1 ? ' was' : 's were'} signed out.`}`,
      );
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="card stack-form"
      aria-labelledby="password-title"
      noValidate
      onSubmit={(event) => void submit(event)}
    >
      <h2 id="password-title">Change password</h2>
      <p className="hint">
        Every other session is signed out; this one stays. Offline unlock on this device takes the new password.
      </p>
      <FormField label="Current password" problem={placed.fields.currentPassword}>
        {(aria) => (
          <input
            {...aria}
            type="password"
            value={current}
            onChange={(e) => {
              setCurrent(e.target.value);
              edited('currentPassword');
            }}
            required
            autoComplete="current-password"
          />
        )}
      </FormField>
      <FormField label="New password (at least 10 characters)" problem={placed.fields.newPassword}>
        {(aria) => (
          <input
            {...aria}
            type="password"
            value={next}
            onChange={(e) => {
              setNext(e.target.value);
              edited('newPassword');
            }}
            required
            minLength={10}
            maxLength={256}
            autoComplete="new-password"
          />
        )}
      </FormField>
      <FormField label="New password again" problem={placed.fields.repeat}>
        {(aria) => (
          <input
            {...aria}
            type="password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
            required
            autoComplete="new-password"
          />
        )}
      </FormField>
      <ErrorNotice error={placed.notice} onDismiss={() => setError(null)} />
      <button type="submit" className="button-primary" disabled={busy || mismatch}>
        {busy ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}
