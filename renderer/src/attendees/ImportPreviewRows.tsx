import { IMPORT_PRESET_COLUMNS, type ImportPreview } from '@gatehouse/protocol';
import { ProblemTable } from './ImportDialogShell';

/** What was detected in the file: its name, format, characters and delimiter. */
export function ImportDetected({ fileName, preview }: { fileName: string; preview: ImportPreview }) {
  return (
    <p className="hint" data-testid="import-detected">
      {fileName}: {preview.preset ? IMPORT_PRESET_COLUMNS[preview.preset].label : 'own columns'},{' '}
      {preview.encoding === 'utf-8' ? 'UTF-8' : 'Windows-1252'}, separated by “{preview.delimiter}”.
    </p>
  );
}

/**
 * The preview: why the mapping cannot import yet (if so), then the first rows as the mapping reads
 * them, each problem marked with its line and column.
 */
export function ImportPreviewRows({ preview }: { preview: ImportPreview }) {
  return (
    <>
      {preview.mappingProblem ? (
        <p className="notice notice-error" role="alert">
          {preview.mappingProblem}
        </p>
      ) : null}
      <ProblemTable
        label="First rows of the file"
        columns={['Line', 'Name', 'Email', 'Ticket type', 'External id', 'Problem']}
      >
        {preview.rows.map((row) => (
          <tr key={row.line} className={row.problem ? 'row-problem' : undefined}>
            <td>{row.line}</td>
            <td>{row.name ?? ''}</td>
            <td>{row.email ?? ''}</td>
            <td>{row.ticketType ?? ''}</td>
            <td>{row.externalId ?? ''}</td>
            <td>
              {row.problem
                ? `Line ${row.problem.line}${row.problem.column ? `, column ${row.problem.column}` : ''}: ${row.problem.message}`
                : ''}
            </td>
          </tr>
        ))}
      </ProblemTable>
    </>
  );
}
