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
