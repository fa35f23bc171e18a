import { Readable } from 'node:stream';
import { TZDate } from '@date-fns/tz';
import { foldForSearch } from '@gatehouse/protocol';
import { stringify } from 'csv-stringify';
import { formatISO } from 'date-fns';

/** One CSV line of an export: a value per column; null and undefined print as an empty cell. */
export type CsvRecord = Record<string, string | number | boolean | null | undefined>;

/**
 * A CSV stream of `records` under a header of `columns`, written by csv-stringify: UTF-8 with a
 * byte-order mark first (spreadsheet programs otherwise read the bytes in a legacy code page), RFC
 * 4180 quoting, CRLF line ends, booleans as `yes`/`no`. A text cell beginning with `= + - @`, a tab
 * or a carriage return gets a leading apostrophe (`escape_formulas`, OWASP "CSV Injection"), so a
 * name like `=HYPERLINK(…)` is shown, never run. Records are pulled as the client reads
 * (backpressure), so an event of any size streams in constant memory; a failure of the source
 * destroys the stream, and the client sees a cut-off answer rather than a complete-looking file.
 */
export function csvStream(columns: readonly string[], records: AsyncIterable<CsvRecord>): Readable {
  const stringifier = stringify({
    bom: true,
    header: true,
    columns: [...columns],
    record_delimiter: 'windows',
    escape_formulas: true,
    cast: { boolean: (value) => (value ? 'yes' : 'no') },
  });
  const source = Readable.from(records, { objectMode: true });
  source.on('error', (error) => stringifier.destroy(error));
  stringifier.on('close', () => source.destroy());
  return source.pipe(stringifier);
}

/**
 * An instant (ISO 8601) as read on the event's clock, ISO 8601 with that zone's offset at that
 * instant (`2026-12-12T19:05:00+01:00`; UTC as `Z`), to the second. Empty for no time.
 */
export function zonedTime(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  return formatISO(new TZDate(ms, timeZone));
}

/**
 * The file name of an export: the event's title folded to safe characters (letters, digits and
 * dashes; accents dropped), the day it starts on its own clock, and the export's kind —
 * `harbour-jazz-night-2026-12-12-attendees.csv`.
 */
export function exportFileName(event: { title: string; startsAt: string; timezone: string }, kind: string): string {
  const slug =
    foldForSearch(event.title)
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/, '') || 'event';
  const day = zonedTime(event.startsAt, event.timezone).slice(0, 10);
  return `${slug}${day ? `-${day}` : ''}-${kind}.csv`;
}
