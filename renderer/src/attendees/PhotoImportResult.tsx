import type { PhotoImportSummary } from '@gatehouse/protocol';
import { ImportOutcome, ProblemTable } from './ImportDialogShell';

/** Up to 20 names, then how many more (a folder may hold thousands). */
function listed(names: string[]): string {
  const shown = names.slice(0, 20).join(', ');
  return names.length > 20 ? `${shown} and ${names.length - 20} more` : shown;
}

/** Before the upload: how many photos, the files skipped (not images), and the names no booking here has. */
export function PhotoImportPreview({
  stage,
}: {
  stage: { files: readonly unknown[]; skipped: string[]; notKnownHere: string[] };
}) {
  return (
    <div data-testid="photo-import-preview">
      <p className="hint">
        {stage.files.length} {stage.files.length === 1 ? 'photo' : 'photos'} to upload
        {stage.skipped.length > 0 ? `, ${stage.skipped.length} skipped (not images)` : ''}.
      </p>
      {stage.notKnownHere.length > 0 ? (
        <p className="notice notice-warning" data-testid="photo-import-not-known">
          No booking on this device has the code {listed(stage.notKnownHere.map((ref) => `“${ref}”`))}. The server looks{' '}
          {stage.notKnownHere.length === 1 ? 'it' : 'them'} up as ticket-shop ids too when uploading.
        </p>
      ) : null}
      {stage.skipped.length > 0 ? (
        <p className="hint" data-testid="photo-import-skipped">
          Skipped: {listed(stage.skipped)}
        </p>
      ) : null}
    </div>
  );
}

/** The summary: counts, then the files that did not get a photo set, each with why. */
export function PhotoImportResult({ summary }: { summary: PhotoImportSummary }) {
  const unknown = summary.results.filter((r) => r.outcome.kind === 'unknown');
  const problems = summary.results.filter((r) => r.outcome.kind === 'refused' || r.outcome.kind === 'failed');
  const allSet = summary.set === summary.results.length;
  return (
    <ImportOutcome
      testId="photo-import-summary"
      ok={allSet}
      counts={
        <>
          {summary.set} {summary.set === 1 ? 'photo' : 'photos'} set, {summary.unknown} unknown{' '}
          {summary.unknown === 1 ? 'name' : 'names'}, {summary.refused} refused, {summary.failed} failed.
        </>
      }
    >
      {unknown.length > 0 ? (
        <p className="hint" data-testid="photo-import-unknown">
          No booking of this event has the code or ticket-shop id of: {listed(unknown.map((r) => r.fileName))}
        </p>
      ) : null}
      {problems.length > 0 ? (
        <ProblemTable label="Photos not set" columns={['File', 'Why']}>
          {problems.slice(0, 200).map((r) =>
            r.outcome.kind === 'refused' || r.outcome.kind === 'failed' ? (
              <tr key={r.fileName} className="row-problem">
                <td>{r.fileName}</td>
                <td>
                  {r.outcome.kind === 'failed' ? 'Not sent: ' : ''}
                  {r.outcome.message} <span className="mono">({r.outcome.code})</span>
                </td>
              </tr>
            ) : null,
          )}
        </ProblemTable>
      ) : null}
    </ImportOutcome>
  );
}
