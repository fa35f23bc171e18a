import { useState, type ReactNode } from 'react';
import type { UiError } from '../errors/messages';
import { ErrorNotice } from '../ui/ErrorNotice';
import { useModalDialog } from '../ui/useModalDialog';

/**
 * The `<dialog>` both imports run in (attendees from a CSV file, photos from a folder): the button
 * that opens it (`openLabel`; `onOpen` resets the import first), the modal with its title, what to
 * choose (`head`), the error notice, the step's body (`children`), then the step's buttons
 * (`actions`) and Cancel — Close once `finished`. Closing it, by that button or Escape, calls
 * `onClosed`, so an import under way stops sending.
 */
export function ImportDialogShell({
  openLabel,
  onOpen,
  titleId,
  title,
  onClosed,
  head,
  error,
  onDismissError,
  children,
  actions,
  finished,
}: {
  openLabel: string;
  onOpen: () => void;
  titleId: string;
  title: ReactNode;
  onClosed: () => void;
  head: ReactNode;
  error: UiError | null;
  onDismissError: () => void;
  children: ReactNode;
  actions: ReactNode;
  finished: boolean;
}) {
  const [open, setOpen] = useState(false);
  const dialogRef = useModalDialog(open);

  return (
    <>
      <button
        type="button"
        className="button-secondary"
        onClick={() => {
          onOpen();
          setOpen(true);
        }}
      >
        {openLabel}
      </button>
      <dialog
        ref={dialogRef}
        className="import-dialog"
        aria-labelledby={titleId}
        onClose={() => {
          onClosed();
          setOpen(false);
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {head}
        <ErrorNotice error={error} onDismiss={onDismissError} />
        {children}
        <div className="form-actions">
          {actions}
          <button type="button" className="button-secondary" onClick={() => setOpen(false)}>
            {finished ? 'Close' : 'Cancel'}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** An import's progress bar (`label` is its accessible name) with the words under it, read out as they change. */
export function ImportBar({
  label,
  max,
  value,
  text,
  testId,
  textTestId,
}: {
  label: string;
  max: number;
  value: number;
  text: ReactNode;
  testId: string;
  textTestId?: string;
}) {
  return (
    <div className="import-progress">
      <progress aria-label={label} max={max} value={value} data-testid={testId} />
      <p className="hint" aria-live="polite" data-testid={textTestId}>
        {text}
      </p>
    </div>
  );
}

/** An import's summary: the counts as a status (green when `ok`, else a warning), then what went wrong. */
export function ImportOutcome({
  testId,
  ok,
  counts,
  children,
}: {
  testId: string;
  ok: boolean;
  counts: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="import-result" data-testid={testId}>
      <p className={ok ? 'notice notice-ok' : 'notice notice-warning'} role="status">
        {counts}
      </p>
      {children}
    </div>
  );
}

/** A table of rows or files (`label` is its accessible name), headed by `columns`; the rows are the children. */
export function ProblemTable({ label, columns, children }: { label: string; columns: string[]; children: ReactNode }) {
  return (
    <table className="import-preview" aria-label={label}>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column}>{column}</th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
