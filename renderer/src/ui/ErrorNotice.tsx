import type { UiError } from '../errors/messages';

/** One error, in plain words, announced to screen readers; the code helps support find the cause. */
export function ErrorNotice({ error, onDismiss }: { error: UiError | null; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <div className="notice notice-error" role="alert">
      <p>
        <strong>{error.text}</strong>
      </p>
      {error.detail && error.detail !== error.text ? (
        <p className="notice-detail">
          {error.detail} <span className="code">({error.code})</span>
        </p>
      ) : null}
      {onDismiss ? (
        <button type="button" className="button-link" onClick={onDismiss}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}
