import { HOST_SERVER_URL_META_NAME, type SessionState } from '@gatehouse/protocol';
import { useState, type FormEvent } from 'react';
import { metaContent } from '../rpc/client';
import { ErrorNotice } from '../ui/ErrorNotice';
import { placeProblems, type FieldMap } from '../ui/fieldProblems';
import { FormField } from '../ui/FormField';
import { AccessLostNotice } from './AccessLostNotice';
import { useSessionStore } from './sessionStore';

const DEFAULT_SERVER = 'http://127.0.0.1:4000';
const OTHER_ACCOUNT = '\u0000other';

type SignInField = 'serverUrl' | 'email' | 'password';

/**
 * `session.signIn` / `session.unlock` params (protocol rpc/session.ts) to the fields. A wrong email or
 * password is one answer, INVALID_CREDENTIALS, that does not say which (so as not to tell anyone
 * which emails have accounts): both credentials are marked.
 */
const SIGN_IN_FIELDS: FieldMap<SignInField> = {
  paths: {
    serverUrl: { field: 'serverUrl', text: 'Enter the server address, like https://gatehouse.example.org.' },
    email: { field: 'email', text: 'Enter an email like name@example.com.' },
    password: 'password',
  },
  codes: { INVALID_CREDENTIALS: { fields: ['email', 'password'] } },
};

export function SignInScreen({ session }: { session: SessionState }) {
  const [mode, setMode] = useState<'online' | 'unlock'>('online');
  const { busy, error, signIn, unlock, clearError } = useSessionStore();
  const [serverUrl, setServerUrl] = useState(
    session.serverUrl ?? metaContent(HOST_SERVER_URL_META_NAME) ?? DEFAULT_SERVER,
  );
  const [email, setEmail] = useState(session.knownUsers[0]?.email ?? '');
  const [password, setPassword] = useState('');
  const canUnlock = session.knownUsers.length > 0 || session.otherUnlockable === true;
  // An account the list does not name (an admin's) is typed in.
  const [typedForUnlock, setTypedForUnlock] = useState(session.knownUsers.length === 0);
  const placed = placeProblems(error, SIGN_IN_FIELDS);
  /** Editing a field at fault takes the mark away: the person is fixing it. */
  const edited = (field: SignInField) => {
    if (placed.fields[field]) clearError();
  };

  function submit(event: FormEvent): void {
    event.preventDefault();
    if (mode === 'online') void signIn({ serverUrl: serverUrl.trim(), email: email.trim(), password });
    else void unlock({ email: email.trim(), password });
  }

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Gatehouse</h1>
        {session.accessLost ? <AccessLostNotice lost={session.accessLost} /> : null}
        {canUnlock ? (
          <div className="segmented" role="group" aria-label="How to sign in">
            <button type="button" aria-pressed={mode === 'online'} onClick={() => setMode('online')}>
              Online
            </button>
            <button type="button" aria-pressed={mode === 'unlock'} onClick={() => setMode('unlock')}>
              Offline unlock
            </button>
          </div>
        ) : null}
        {mode === 'online' ? (
          <FormField label="Server address" problem={placed.fields.serverUrl}>
            {(aria) => (
              <input
                {...aria}
                type="url"
                value={serverUrl}
                onChange={(event) => {
                  setServerUrl(event.target.value);
                  edited('serverUrl');
                }}
                required
                autoComplete="url"
              />
            )}
          </FormField>
        ) : (
          <p className="hint">Unlock with the password you last used on this device. Changes sync when online.</p>
        )}
        <FormField label="Email" problem={placed.fields.email}>
          {(aria) =>
            mode === 'unlock' && !typedForUnlock ? (
              <select
                {...aria}
                value={email}
                onChange={(event) => {
                  edited('email');
                  if (event.target.value === OTHER_ACCOUNT) {
                    setTypedForUnlock(true);
                    setEmail('');
                  } else setEmail(event.target.value);
                }}
              >
                {session.knownUsers.map((user) => (
                  <option key={user.email} value={user.email}>
                    {user.name} ({user.email})
                  </option>
                ))}
                {session.otherUnlockable ? (
                  <option value={OTHER_ACCOUNT}>Another account on this device…</option>
                ) : null}
              </select>
            ) : (
              <input
                {...aria}
                type="email"
                value={email}
                onChange={(event) => {
                  setEmail(event.target.value);
                  edited('email');
                }}
                required
                autoComplete="username"
              />
            )
          }
        </FormField>
        <FormField label="Password" problem={placed.fields.password}>
          {(aria) => (
            <input
              {...aria}
              type="password"
              value={password}
              onChange={(event) => {
                setPassword(event.target.value);
                if (error) clearError();
              }}
              required
              autoComplete="current-password"
            />
          )}
        </FormField>
        <ErrorNotice error={placed.notice} />
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? 'Signing in…' : mode === 'online' ? 'Sign in' : 'Unlock'}
        </button>
      </form>
    </main>
  );
}
