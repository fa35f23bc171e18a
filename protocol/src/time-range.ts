/**
 * Printing "from – to" of an event in its own time zone. ICU's formatRange names the zone once, for
 * both ends; across a clock change that reads wrong ("02:30–02:45 CET" for 02:30 CEST to 02:45 CET,
 * which is 75 minutes, not 15). Here each end names its own zone when the two differ.
 */

/** The date and time fields a range may show; the zone is always named, so it is not among them. */
export type RangeFields = Omit<
  Intl.DateTimeFormatOptions,
  'timeZone' | 'timeZoneName' | 'dateStyle' | 'timeStyle' | 'formatMatcher'
>;

/** The mails' long form: "Saturday, 12 December 2026, 19:00–23:00 CET". */
export const LONG_RANGE_FIELDS: RangeFields = {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
};

const TIME_FIELDS = ['hour', 'minute', 'second', 'hour12', 'hourCycle', 'fractionalSecondDigits'] as const;

/** "GMT+02:00": the zone's offset from UTC at `date` (a clock change shows here). */
function offsetAt(date: Date, timeZone: string): string {
  return zoneName(date, timeZone, 'en-US', 'longOffset');
}

function zoneName(date: Date, timeZone: string, locale: string | undefined, style: 'short' | 'longOffset'): string {
  const parts = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: style }).formatToParts(date);
  return parts.find((part) => part.type === 'timeZoneName')?.value ?? '';
}

/** "2027-10-31": the calendar day of `date` in `timeZone`. */
function dayIn(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
}

/**
 * `startsAt`–`endsAt` (ISO 8601 instants or Dates) as read in `timeZone` (IANA name, e.g.
 * "Europe/Berlin"), via Intl.DateTimeFormat in `locale` (default: the runtime's) with `fields`
 * (default LONG_RANGE_FIELDS). When the zone's offset is the same at both ends, the short form
 * names the zone once: "Sunday, 31 October 2027, 01:00–02:45 CET". When a clock change lies in
 * between, each end names its own zone — its abbreviation, or the UTC offset when the locale gives
 * both ends the same name: "Sunday, 31 October 2027 at 02:30 CEST – 02:45 CET"; the date is
 * repeated only when the ends fall on different days. Throws RangeError for an unknown time zone
 * or an invalid date (as Intl does).
 */
export function formatTimeRange(
  startsAt: string | Date,
  endsAt: string | Date,
  timeZone: string,
  options: { locale?: string | undefined; fields?: RangeFields } = {},
): string {
  const start = new Date(startsAt);
  const end = new Date(endsAt);
  const { locale } = options;
  const fields = options.fields ?? LONG_RANGE_FIELDS;
  if (offsetAt(start, timeZone) === offsetAt(end, timeZone)) {
    return new Intl.DateTimeFormat(locale, { ...fields, timeZone, timeZoneName: 'short' }).formatRange(start, end);
  }
  const style =
    zoneName(start, timeZone, locale, 'short') === zoneName(end, timeZone, locale, 'short') ? 'longOffset' : 'short';
  const whole = new Intl.DateTimeFormat(locale, { ...fields, timeZone, timeZoneName: style });
  if (dayIn(start, timeZone) !== dayIn(end, timeZone)) return `${whole.format(start)} – ${whole.format(end)}`;
  const timeOnly: Intl.DateTimeFormatOptions = { timeZone, timeZoneName: style };
  for (const field of TIME_FIELDS) {
    if (fields[field] !== undefined) Object.assign(timeOnly, { [field]: fields[field] });
  }
  if (timeOnly.hour === undefined && timeOnly.minute === undefined)
    return `${whole.format(start)} – ${whole.format(end)}`;
  return `${whole.format(start)} – ${new Intl.DateTimeFormat(locale, timeOnly).format(end)}`;
}
