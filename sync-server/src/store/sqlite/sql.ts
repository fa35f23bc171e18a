import type Database from 'better-sqlite3';

/** Small conversions between rows and SQLite values, shared by the repositories. */

/** SQLite has no boolean: 0/1. better-sqlite3 refuses to bind a JS boolean. */
export function bit(value: boolean): 0 | 1 {
  return value ? 1 : 0;
}

/** Parses a JSON column the store itself wrote. */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** `LIMIT` of a page: one more row than asked, so the caller can tell whether another page exists. */
export function pageLimit(limit: number): number {
  return Math.max(0, Math.floor(limit)) + 1;
}

/** A JSON array of strings, bound to `json_each(?)` for IN-lists without one statement per length. */
export function jsonList(values: readonly string[]): string {
  return JSON.stringify(values);
}

/** The exclusive upper bound of a prefix range: every string that starts with `prefix` sorts below it. */
export function prefixEnd(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

/**
 * `INSERT … VALUES (…), (…), …` statements of one shape, one per row count, prepared the first time
 * a count is used and kept: a chunk of n rows is one statement instead of n (a statement costs
 * ~7 µs whatever it does). Counts are bounded by the caller's chunk size (at most a few hundred
 * statements per shape); parameters are the rows' values in order, `columns` per row.
 */
export class MultiRowInsert<Row = unknown> {
  private readonly prepared = new Map<number, Database.Statement<unknown[], Row>>();
  private readonly placeholders: string;

  /**
   * @param head `INSERT INTO table (a, b, c) VALUES` — everything before the rows.
   * @param columns values per row.
   * @param tail what follows the rows (`ON CONFLICT …`, `RETURNING …`), or ''.
   */
  constructor(
    private readonly db: Database.Database,
    private readonly head: string,
    private readonly columns: number,
    private readonly tail: string,
  ) {
    this.placeholders = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  }

  /** The statement for `rows` rows (at least one). */
  forRows(rows: number): Database.Statement<unknown[], Row> {
    let statement = this.prepared.get(rows);
    if (!statement) {
      statement = this.db.prepare<unknown[], Row>(
        `${this.head} ${Array.from({ length: rows }, () => this.placeholders).join(', ')} ${this.tail}`,
      );
      this.prepared.set(rows, statement);
    }
    return statement;
  }

  /** Values per row, as given to the constructor. */
  get width(): number {
    return this.columns;
  }
}
