/**
 * `npm run store:backup -- --to <file> [--data-dir .data]`
 *
 * An online backup of the embedded SQLite store: SQLite's backup API on a read connection of its
 * own, while the server keeps running and writing (no stop needed). The copy is one consistent
 * snapshot of the store, checked and made self-contained (one file, no -wal), written to a
 * temporary name and renamed into place. Restore it with `npm run store:restore`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backupSqliteStore } from '../sync-server/src/store/sqlite/index';

const USAGE = `Usage: npm run store:backup -- --to <file> [--data-dir .data]

Copies the SQLite store of the data folder to <file> while the server keeps running.
  --to        the backup file to write (replaced if it exists)
  --data-dir  the data folder holding gatehouse.db (default GATEHOUSE_DATA_DIR or .data)`;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { to: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help || !values.to) {
    (values.help ? console.log : console.error)(USAGE);
    return values.help ? 0 : 1;
  }
  const dataDir = path.resolve(values['data-dir'] ?? process.env.GATEHOUSE_DATA_DIR ?? '.data');
  const file = path.join(dataDir, 'gatehouse.db');
  const to = path.resolve(values.to);
  process.stderr.write(`[backup] copying ${file} (the server may keep running)…\n`);
  const report = await backupSqliteStore({
    file,
    to,
    onProgress: ({ totalPages }) => process.stderr.write(`[backup] ${totalPages} pages to copy in one snapshot\n`),
  });
  const rows = Object.entries(report.tables)
    .map(([table, count]) => `  ${table.padEnd(20)} ${count.toLocaleString('en-US').padStart(12)}`)
    .join('\n');
  console.log(
    [
      `Backed up ${report.source}`,
      `       to ${report.file}`,
      `schema version ${report.schemaVersion}, ${report.pages} pages of ${report.pageSize} bytes (${mb(report.bytes)}), ` +
        `in ${(report.ms / 1000).toFixed(2)} s; integrity check ok.`,
      'Rows per table in the backup:',
      rows,
      `Restore it with: npm run store:restore -- --from ${report.file} --data-dir <folder> (with that server stopped)`,
    ].join('\n'),
  );
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`[backup] failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
