import type { ImportRowProblem, ImportSummary } from '@gatehouse/protocol';
import { useEffect, useState } from 'react';
import { ImportOutcome, ProblemTable } from './ImportDialogShell';

/** The refused rows as a CSV a person can fix and import again (line, column, code, message). */
function refusalsCsv(refusals: ImportRowProblem[]): string {
  const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;
  return [
    'line,column,code,message',
    ...refusals.map((refusal) =>
      [String(refusal.line), quote(refusal.column ?? ''), refusal.code, quote(refusal.message)].join(','),
    ),
  ].join('\r\n');
}

/** The import's summary: rows added, updated, unchanged and refused; the first 200 refused rows, and all as a CSV. */
export function ImportResult({ summary }: { summary: ImportSummary }) {
  const [download, setDownload] = useState<string | null>(null);
  useEffect(() => {
    if (summary.refusals.length === 0) return;
    const url = URL.createObjectURL(new Blob([refusalsCsv(summary.refusals)], { type: 'text/csv' }));
    setDownload(url);
    return () => URL.revokeObjectURL(url);
  }, [summary]);
  return (
    <ImportOutcome
      testId="import-summary"
      ok={summary.refused === 0}
      counts={
        <>
          {summary.rows.toLocaleString()} rows: {summary.created.toLocaleString()} added,{' '}
          {summary.updated.toLocaleString()} updated, {summary.unchanged.toLocaleString()} unchanged,{' '}
          {summary.refused.toLocaleString()} refused.
        </>
      }
    >
      {summary.refusals.length > 0 ? (
        <>
          <ProblemTable label="Refused rows" columns={['Line', 'Column', 'Why']}>
            {summary.refusals.slice(0, 200).map((refusal) => (
              <tr key={`${refusal.line}-${refusal.code}`} className="row-problem">
                <td>{refusal.line}</td>
                <td>{refusal.column ?? ''}</td>
                <td>
                  {refusal.message} <span className="mono">({refusal.code})</span>
                </td>
              </tr>
            ))}
          </ProblemTable>
          {download ? (
            <a href={download} download="refused-rows.csv" className="button-secondary">
              Download the refused rows
            </a>
          ) : null}
        </>
      ) : null}
    </ImportOutcome>
  );
}
