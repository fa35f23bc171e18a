import type { ImportProgress } from '@gatehouse/protocol';
import { ImportBar } from './ImportDialogShell';

const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/**
 * The import's one bar: the bytes sent while the file goes up ("Uploading… 3.2 MB of 17.8 MB"),
 * then — the server checking and writing the rows, which for 100,000 rows takes seconds — the rows
 * written of the rows to write, as the server records them every 1,000 ("Writing rows… 42,000 of
 * 100,000").
 */
export function ImportProgressBar({ file, sent, rows }: { file: File; sent: number; rows: ImportProgress | null }) {
  const writing = sent >= file.size && rows?.phase !== 'checking' && rows?.rowsTotal != null ? rows : null;
  const max = writing ? Math.max(1, writing.rowsTotal ?? 1) : Math.max(1, file.size);
  const value = writing ? writing.rowsWritten : sent;
  const text = writing
    ? `Writing rows… ${writing.rowsWritten.toLocaleString('en')} of ${(writing.rowsTotal ?? 0).toLocaleString('en')}`
    : sent < file.size
      ? `Uploading ${file.name}… ${megabytes(sent)} MB of ${megabytes(file.size)} MB`
      : 'Checking rows…';
  return (
    <ImportBar
      label="Import progress"
      max={max}
      value={value}
      text={text}
      testId="import-progress"
      textTestId="import-progress-text"
    />
  );
}
