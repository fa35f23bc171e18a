/**
 * The app's one formatter of times, dates and prices. Every time a person reads is on a 24-hour
 * clock in the event's own zone (a steward in Berlin reads the doors-open time of Berlin, and the
 * verdict's "since 19:02", made by core in that zone, matches the 19:02 in Last scans). Only a time
 * that belongs to no event (a sync, a device) is shown in this computer's zone. Ranges that cross a
 * DST change go through protocol's formatTimeRange (`formatEventRange`).
 */
import { formatTimeRange, type RangeFields } from '@gatehouse/protocol';

const CLOCK: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
const DATE_AND_CLOCK: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short', year: 'numeric', ...CLOCK };

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Formatters are costly to build and Last scans re-renders often: one per (options, zone). */
function formatterFor(
  name: string,
  options: Intl.DateTimeFormatOptions,
  timeZone?: string,
  locale?: string,
): Intl.DateTimeFormat {
  const key = `${name}|${timeZone ?? ''}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    } catch {
      // A zone this browser does not know: the computer's own, rather than nothing.
      formatter = new Intl.DateTimeFormat(locale, options);
    }
    formatters.set(key, formatter);
  }
  return formatter;
}

function dateOf(iso: string): Date | null {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "19:02": an instant's time of day in `timeZone` (IANA name; the computer's zone when absent). */
export function formatClock(iso: string, timeZone?: string): string {
  const date = dateOf(iso);
  return date ? formatterFor('clock', CLOCK, timeZone).format(date) : iso;
}

/** "12 Mar 2026, 19:02" in `timeZone`; with `zone: true` the zone is named after it. */
export function formatDateTime(iso: string, timeZone?: string, options: { zone?: boolean } = {}): string {
  const date = dateOf(iso);
  if (!date) return iso;
  const text = formatterFor('dateTime', DATE_AND_CLOCK, timeZone).format(date);
  return options.zone && timeZone ? `${text} (${zoneLabel(timeZone)})` : text;
}

/** "America/New_York" → "America/New York": the IANA name, as people read it. */
export function zoneLabel(timeZone: string): string {
  return timeZone.replace(/_/g, ' ');
}

export function formatAgo(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return formatDateTime(iso);
}

/** Prices travel in minor units (cents); people read and type currency units. */
export function formatPrice(minorUnits: number): string {
  return minorUnits === 0 ? 'Free' : (minorUnits / 100).toFixed(2);
}

/** "12.50" → 1250; null for anything that is not a non-negative amount with at most two decimals. */
export function parsePrice(text: string): number | null {
  const trimmed = text.trim().replace(',', '.');
  if (!/^\d+(\.\d{0,2})?$/.test(trimmed)) return null;
  return Math.round(Number(trimmed) * 100);
}

/** Every zone this browser knows (IANA names), for the event editor's searchable list. */
export function knownTimeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
}

export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    return timeZone.length > 0;
  } catch {
    return false;
  }
}

const WALL_PARTS: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
};

/** The wall clock of `timeZone` at instant `ms`, read as if it were UTC (ms); in en-US for its Latin digits. */
function wallAsUtc(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor('wall', WALL_PARTS, timeZone, 'en-US').formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** `<input type="datetime-local">` value ("2026-03-12T19:00") of an instant, on `timeZone`'s wall clock. */
export function toZonedInputValue(iso: string, timeZone: string): string {
  const date = dateOf(iso);
  if (!date) return '';
  return new Date(wallAsUtc(date.getTime(), timeZone)).toISOString().slice(0, 16);
}

/**
 * The instant (ISO, UTC) at which `timeZone`'s wall clock reads `value` ("2026-03-12T19:00"); null
 * when the value is not a date. The zone's offset is read at a first guess and again at the result,
 * so a value near a DST change lands on the right side of it; a wall time the change skips (02:30 on
 * a spring-forward night) becomes the same distance past the jump.
 */
export function fromZonedInputValue(value: string, timeZone: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute] = match.map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  if (Number.isNaN(wall)) return null;
  let instant = wall - (wallAsUtc(wall, timeZone) - wall);
  instant = wall - (wallAsUtc(instant, timeZone) - instant);
  return new Date(instant).toISOString();
}

const EVENT_RANGE_FIELDS: RangeFields = {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
};

/**
 * An event's "from – to" in its own zone, through protocol's formatTimeRange: the zone named once,
 * or at both ends when a clock change lies between them ("31 Oct 2027, 02:30 CEST – 02:45 CET").
 */
export function formatEventRange(startsAt: string, endsAt: string, timeZone: string): string {
  try {
    return formatTimeRange(startsAt, endsAt, timeZone, { fields: EVENT_RANGE_FIELDS });
  } catch {
    return `${formatDateTime(startsAt, timeZone)} – ${formatDateTime(endsAt, timeZone)}`;
  }
}
