import { type UnsentImportResult, unsentExportSchema } from '@gatehouse/protocol';
import { useState, type ChangeEvent } from 'react';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';
import { RpcError } from '../rpc/RpcError';
import { ErrorNotice } from '../ui/ErrorNotice';

/**
 * Imports the file of unsent changes a revoked device (or a disabled account's device) saved
 * before it wiped its data (`gatehouse-unsent-*.json`): its scans reach the server once, with the
 * admin's authority, under that device's id. Importing a file twice changes nothing.
 */
export function UnsentImport() {
  const [result, setResult] = useState<{ name: string; answer: UnsentImportResult } | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function choose(event: ChangeEvent<HTMLInputElement>) {
    const chosen = event.target.files?.[0];
    event.target.value = '';
    if (!chosen) return;
    setBusy(true);
    setResult(null);
    setError(null);
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await chosen.text());
      } catch {
        throw new RpcError('VALIDATION_FAILED', 'That file is not a file of unsent changes (not JSON).');
      }
      const file = unsentExportSchema.safeParse(parsed);
      if (!file.success) {
        throw new RpcError('VALIDATION_FAILED', 'That file is not a file of unsent changes from Gatehouse.');
      }
      setResult({ name: chosen.name, answer: await invoke('admin.devices.importUnsent', { file: file.data }) });
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  const rejected = result?.answer.results.filter((entry) => entry.status === 'rejected') ?? [];
  return (
    <section className="card unsent-import" aria-labelledby="unsent-import-title">
      <h2 id="unsent-import-title">Import unsent changes</h2>
      <p className="hint">
        A device that was revoked, or whose account was disabled, saves the changes it had not sent to a file named
        gatehouse-unsent-….json before removing its data. Import that file here so its scans are not lost.
      </p>
      <label>
        File of unsent changes
        <input type="file" accept="application/json,.json" disabled={busy} onChange={(event) => void choose(event)} />
      </label>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {result ? (
        <p className="notice notice-ok" role="status">
          {result.name}: {result.answer.applied} applied, {result.answer.skipped} already on the server,{' '}
          {result.answer.rejected} refused.
        </p>
      ) : null}
      {rejected.length > 0 ? (
        <ul className="file-list">
          {rejected.map((entry) => (
            <li key={entry.id}>
              {entry.code}: {entry.message}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
