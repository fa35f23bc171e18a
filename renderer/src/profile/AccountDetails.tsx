import type { PendingEmailChange } from '@gatehouse/protocol';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';
import { useSessionStore } from '../session/sessionStore';
import { ErrorNotice } from '../ui/ErrorNotice';
import { placeProblems, type FieldMap } from '../ui/fieldProblems';
import { FormField } from '../ui/FormField';
import { formatDateTime } from '../ui/format';

/**
 * The person's name and email on the Profile screen. The name changes at once. The email changes
 * only with the code mailed to the new address, entered here: the desktop app has no web page a
 * mailed link could open, and a code to type or paste into the screen where the change was asked
 * for is what a person expects (as with a bank's or a shop's confirmation code). While a change
 * waits, this card says where the code went and until when it works; the account keeps its email
 * until then.
 */
export function AccountDetails({ onNotice }: { onNotice: (text: string) => void }) {
  return (
    <section className="card" aria-labelledby="account-title">
      <h2 id="account-title">Name and email</h2>
      <NameForm onNotice={onNotice} />
      <EmailChange onNotice={onNotice} />
    </section>
  );
}

const NAME_FIELDS: FieldMap<'name'> = {
  paths: { name: { field: 'name', text: 'Enter a name (at most 200 characters).' } },
};

function NameForm({ onNotice }: { onNotice: (text: string) => void }) {
  const current = useSessionStore((state) => state.session?.user?.name ?? '');
  const [name, setName] = useState(current);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  useEffect(() => setName(current), [current]);
  const placed = placeProblems(error, NAME_FIELDS);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await invoke('profile.rename', { name });
      onNotice(`Your name is now ${user.name}.`);
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack-form" aria-label="Change name" noValidate onSubmit={(event) => void submit(event)}>
      <FormField label="Name" problem={placed.fields.name}>
        {(aria) => (
          <input
            {...aria}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              if (placed.fields.name) setError(null);
            }}
            maxLength={200}
            autoComplete="name"
          />
        )}
      </FormField>
      <ErrorNotice error={placed.notice} onDismiss={() => setError(null)} />
      <button type="submit" className="button-primary" disabled={busy || name.trim() === '' || name.trim() === current}>
        {busy ? 'Saving…' : 'Save name'}
      </button>
    </form>
  );
}

type EmailField = 'newEmail' | 'currentPassword';

const REQUEST_FIELDS: FieldMap<EmailField> = {
  paths: {
    newEmail: { field: 'newEmail', text: 'Enter the new email address (or it is already yours).' },
    currentPassword: { field: 'currentPassword', text: 'Enter your current password.' },
  },
  codes: {
    INVALID_CREDENTIALS: { fields: ['currentPassword'], text: 'The current password is wrong.' },
    EMAIL_TAKEN: { fields: ['newEmail'], text: 'Another account already uses that email address.' },
  },
};

const CODE_FIELDS: FieldMap<'token'> = {
  paths: { token: { field: 'token', text: 'The code has 20 letters and digits, as in the email (XXXX-XXXX-…).' } },
  codes: {
    EMAIL_CHANGE_CODE_INVALID: { fields: ['token'] },
    EMAIL_CHANGE_CODE_EXPIRED: { fields: ['token'] },
    EMAIL_CHANGE_CODE_USED: { fields: ['token'] },
    EMAIL_TAKEN: { fields: ['token'], text: 'Someone else took that email address meanwhile. Ask for another.' },
  },
};

function EmailChange({ onNotice }: { onNotice: (text: string) => void }) {
  const email = useSessionStore((state) => state.session?.user?.email ?? '');
  const [pending, setPending] = useState<PendingEmailChange | null>(null);
  const [asking, setAsking] = useState(false);
  const [loadError, setLoadError] = useState<UiError | null>(null);

  const load = useCallback(async () => {
    try {
      setPending((await invoke('profile.emailChange.get', {})).pending);
      setLoadError(null);
    } catch (caught) {
      setLoadError(describeError(caught));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <div className="stack-form">
      <p>
        You sign in with <strong data-testid="profile-email">{email}</strong>.
      </p>
      <ErrorNotice error={loadError} onDismiss={() => setLoadError(null)} />
      {pending && !asking ? (
        <ConfirmCode
          pending={pending}
          onConfirmed={(newEmail) => {
            setPending(null);
            onNotice(`Your email is now ${newEmail}. Sign in with it from now on.`);
          }}
          onAskAgain={() => setAsking(true)}
        />
      ) : (
        <RequestChange
          onRequested={(next) => {
            setPending(next);
            setAsking(false);
          }}
          onCancel={pending ? () => setAsking(false) : null}
        />
      )}
    </div>
  );
}

function RequestChange({
  onRequested,
  onCancel,
}: {
  onRequested: (pending: PendingEmailChange | null) => void;
  onCancel: (() => void) | null;
}) {
  const [newEmail, setNewEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const placed = placeProblems(error, REQUEST_FIELDS);
  const edited = (field: EmailField) => {
    if (placed.fields[field]) setError(null);
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const state = await invoke('profile.emailChange.request', { newEmail, currentPassword: password });
      setPassword('');
      onRequested(state.pending);
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack-form" aria-label="Change email" noValidate onSubmit={(event) => void submit(event)}>
      <h3>Change email</h3>
      <FormField label="New email address" problem={placed.fields.newEmail}>
        {(aria) => (
          <input
            {...aria}
            type="email"
            value={newEmail}
            onChange={(e) => {
              setNewEmail(e.target.value);
              edited('newEmail');
            }}
            autoComplete="email"
          />
        )}
      </FormField>
      <FormField label="Current password" problem={placed.fields.currentPassword}>
        {(aria) => (
          <input
            {...aria}
            type="password"
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              edited('currentPassword');
            }}
            autoComplete="current-password"
          />
        )}
      </FormField>
      <p className="hint">We email a code to the new address. Your email stays as it is until you enter that code.</p>
      <ErrorNotice error={placed.notice} onDismiss={() => setError(null)} />
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={busy || newEmail.trim() === '' || password === ''}>
          {busy ? 'Sending…' : 'Send code'}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Back to the code
          </button>
        ) : null}
      </div>
    </form>
  );
}

function ConfirmCode({
  pending,
  onConfirmed,
  onAskAgain,
}: {
  pending: PendingEmailChange;
  onConfirmed: (newEmail: string) => void;
  onAskAgain: () => void;
}) {
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const placed = placeProblems(error, CODE_FIELDS);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { email } = await invoke('profile.emailChange.confirm', { token: code });
      onConfirmed(email);
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack-form" aria-label="Confirm new email" noValidate onSubmit={(event) => void submit(event)}>
      <p role="status" data-testid="email-change-pending">
        We sent a code to <strong>{pending.newEmail}</strong>. It works until {formatDateTime(pending.expiresAt)}. Until
        you enter it, you keep signing in with your current email.
      </p>
      <FormField label="Code from the email" problem={placed.fields.token} hint="XXXX-XXXX-XXXX-XXXX-XXXX">
        {(aria) => (
          <input
            {...aria}
            value={code}
            onChange={(e) => {
              setCode(e.target.value);
              if (placed.fields.token) setError(null);
            }}
            autoComplete="one-time-code"
            spellCheck={false}
            maxLength={100}
          />
        )}
      </FormField>
      <ErrorNotice error={placed.notice} onDismiss={() => setError(null)} />
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={busy || code.trim() === ''}>
          {busy ? 'Confirming…' : 'Confirm new email'}
        </button>
        <button type="button" onClick={onAskAgain}>
          Send a new code or use another address
        </button>
      </div>
    </form>
  );
}
