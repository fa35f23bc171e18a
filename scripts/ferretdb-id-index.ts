/**
 * Gives the tables of a local FerretDB (SQLite handler) the `_id` index its own queries can use.
 *
 * FerretDB v1.24.2 pushes a `{_id: value}` filter down as `WHERE _ferretdb_sjson->'$._id' = ?`, but
 * creates each table's unique `_id` index on `_ferretdb_sjson->"_id"`. SQLite matches index
 * expressions as written, so it never uses that index: every find, update and delete by `_id`
 * scans the table (`EXPLAIN QUERY PLAN` says `SCAN`), and an update in an 8,000-row collection
 * took 45 ms instead of 2. MongoDB answers the same commands from its `_id` index, so without this
 * the test and bench database is slower than production by the size of each collection.
 *
 * The index added here is on exactly the pushed-down expression and is not unique (FerretDB's own
 * index still enforces uniqueness and names the duplicate-key error). FerretDB keeps its catalogue
 * in its own metadata table, so it neither lists nor minds an index it did not make; dropping a
 * collection drops its table and the index with it. Tables appear as collections are first used, so
 * the files are looked at again while FerretDB runs. Only the local FerretDB started by
 * `scripts/mongo.ts` is touched — never a MongoDB given by `MONGODB_URI`.
 */
import Database from 'better-sqlite3';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ID_EXPRESSION = `_ferretdb_sjson->'$._id'`;
const INDEX_SUFFIX = '__id_lookup';

/** Adds the index to every table of one FerretDB database file that lacks it. */
function indexDatabaseFile(file: string): void {
  // fileMustExist: a database FerretDB has just dropped must not come back as an empty file. A short
  // wait for the write lock: this runs on the launcher's event loop (the bench's too), and a table
  // not indexed this time is indexed on a later look.
  const db = new Database(file, { fileMustExist: true, timeout: 25 });
  try {
    const hasCatalogue = db
      .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_ferretdb_collections'`)
      .get();
    if (!hasCatalogue) return;
    const tables = db.prepare('SELECT table_name FROM _ferretdb_collections').pluck().all() as string[];
    const indexed = new Set(
      db
        .prepare(`SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name LIKE ?`)
        .pluck()
        .all(`%${INDEX_SUFFIX}`) as string[],
    );
    for (const table of tables) {
      if (indexed.has(table)) continue;
      const quoted = `"${table.replaceAll('"', '""')}"`;
      const index = `"${(table + INDEX_SUFFIX).replaceAll('"', '""')}"`;
      try {
        db.exec(`CREATE INDEX IF NOT EXISTS ${index} ON ${quoted} (${ID_EXPRESSION})`);
      } catch (error) {
        // The collection was dropped between reading the catalogue and now: nothing to index.
        if (!/no such table/.test(String(error))) throw error;
      }
    }
  } finally {
    db.close();
  }
}

/**
 * Watches FerretDB's data directory and indexes new tables within `intervalMs`. A file is opened
 * again only after it (or its write-ahead log) changed, so idle databases cost a `stat` a tick.
 */
export function watchFerretDbTables(dir: string, intervalMs = 300): { stop: () => void } {
  const seen = new Map<string, number>();
  const changedAt = (file: string): number => {
    try {
      const wal = statSync(`${file}-wal`, { throwIfNoEntry: false });
      return Math.max(statSync(file).mtimeMs, wal?.mtimeMs ?? 0);
    } catch {
      return -1;
    }
  };
  const scan = (): void => {
    let files: string[];
    try {
      files = readdirSync(dir).filter((name) => name.endsWith('.sqlite'));
    } catch {
      return;
    }
    for (const name of files) {
      const file = path.join(dir, name);
      const stamp = changedAt(file);
      if (stamp < 0 || seen.get(file) === stamp) continue;
      try {
        indexDatabaseFile(file);
        seen.set(file, stamp);
      } catch {
        // Busy or just dropped: look again next tick. A missing index costs speed, never correctness.
        seen.delete(file);
      }
    }
  };
  const timer = setInterval(scan, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
