/**
 * `npm run store:restore -- --from <file> [--data-dir .data]`
 *
 * Puts a backup (`npm run store:backup`) in place of the embedded SQLite store of a data folder.
 * Refuses while a server holds that store (stop it first), refuses a file written by a newer
 * Gatehouse and a file that is not a Gatehouse store — the checks a server makes at start-up.
 * The store file is replaced atomically (copy beside it, fsync, rename); its -wal and -shm go, and
 * the replaced file is kept as `gatehouse.db.pre-restore`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { restoreSqliteStore } from '../sync-server/src/store/sqlite/index';

const USAGE = `Usage: npm run store:restore -- --from <file> [--data-dir .data]

Replaces the SQLite store of the data folder with the backup <file>. Stop the server first.
  --from      the backup file (from npm run store:backup)
  --data-dir  the data folder whose gatehouse.db is replaced (default GATEHOUSE_DATA_DIR or .data)`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { from: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help || !values.from) {
    (values.help ? console.log : console.error)(USAGE);
    return values.help ? 0 : 1;
  }
  const dataDir = path.resolve(values['data-dir'] ?? process.env.GATEHOUSE_DATA_DIR ?? '.data');
  const file = path.join(dataDir, 'gatehouse.db');
  const report = await restoreSqliteStore({ from: values.from, file });
  const rows = Object.entries(report.tables)
    .map(([table, count]) => `  ${table.padEnd(20)} ${count.toLocaleString('en-US').padStart(12)}`)
    .join('\n');
  console.log(
    [
      `Restored ${report.from}`,
      `    into ${report.file}`,
      `schema version ${report.schemaVersion}${report.migrated ? ' (migrated from an older version)' : ''}, ` +
        `${(report.bytes / 1024 / 1024).toFixed(1)} MB, in ${(report.ms / 1000).toFixed(2)} s.`,
      report.previous
        ? `The store it replaced is kept as ${report.previous} (delete it once you are sure).`
        : 'There was no store there before.',
      'Rows per table:',
      rows,
      'Start the server on this data folder; devices go on syncing from what the backup holds.',
    ].join('\n'),
  );
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`[restore] refused: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
