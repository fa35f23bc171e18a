/** Numbers in the migration's progress lines and table: `1,234`, `1 row`/`2 rows`, rows per second. */
export const fmt = (value: number) => value.toLocaleString('en-US');
export const rowsOf = (count: number) => `${fmt(count)} row${count === 1 ? '' : 's'}`;
export const rate = (rows: number, ms: number) => fmt(Math.round(rows / Math.max(ms / 1000, 0.001)));
