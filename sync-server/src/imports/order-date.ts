import { tz } from '@date-fns/tz';
import { IMPORT_ORDER_DATE_FORMATS, truncateText, type ImportPreset } from '@gatehouse/protocol';
import { isValid, parse } from 'date-fns';

/** Order dates before this (or over a year ahead of now) are typos, not orders: refused. */
const EARLIEST_ORDER_MS = Date.UTC(2000, 0, 1);
const YEAR_MS = 366 * 24 * 3_600_000;

/**
 * Reads an import row's order date (issue #20: "Order Date") by the formats of `preset`
 * (protocol IMPORT_ORDER_DATE_FORMATS; `plain` when the mapping was the organizer's own), a date
 * or time without an offset on `timeZone` (the event's IANA zone). Answers the instant as a UTC
 * ISO string, or `{problem}` — the message of an IMPORT_DATE_INVALID refusal.
 */
export function orderDateReader(
  preset: ImportPreset | null,
  timeZone: string,
): (written: string) => { orderedAt: string } | { problem: string } {
  const formats = IMPORT_ORDER_DATE_FORMATS[preset ?? 'plain'];
  const zone = tz(timeZone);
  const reference = new Date(0);
  const latest = Date.now() + YEAR_MS;
  return (written) => {
    for (const format of formats) {
      const parsed = parse(written, format, reference, { in: zone });
      if (!isValid(parsed)) continue;
      const ms = parsed.getTime();
      if (ms < EARLIEST_ORDER_MS || ms > latest) {
        return { problem: `The order date "${truncateText(written, 40)}" is not a plausible order date` };
      }
      return { orderedAt: new Date(ms).toISOString() };
    }
    return {
      problem: `"${truncateText(written, 40)}" is not a date this import reads (for example ${formats[0]!.replaceAll("'", '')})`,
    };
  };
}
