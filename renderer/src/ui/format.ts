import { formatTimeRange, type RangeFields } from '@gatehouse/protocol';

/** Dates are shown in the event's own time zone: a steward in Berlin reads the doors-open time of Berlin. */
export function formatDateTime(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(date);
  } catch {
    return date.toLocaleString();
  }
}

/**
 * An event's "from – to" in its own time zone, via protocol's formatTimeRange: the zone named once,
 * or at both ends when a clock change lies between them ("31 Oct 2027, 02:30 CEST – 02:45 CET").
 */
export function formatEventRange(startsAt: string, endsAt: string, timeZone: string): string {
  try {
    return formatTimeRange(startsAt, endsAt, timeZone, { fields: EVENT_RANGE_FIELDS });
  } catch {
    return `${formatDateTime(startsAt, timeZone)} – ${formatDateTime(endsAt, timeZone)}`;
  }
}

const EVENT_RANGE_FIELDS: RangeFields = {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
};

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString(undefined, { timeStyle: 'short' });
}

export function formatAgo(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return formatDateTime(iso);
}

export function formatPrice(minorUnits: number): string {
  return minorUnits === 0 ? 'Free' : (minorUnits / 100).toFixed(2);
}

/** `<input type="datetime-local">` speaks local wall time without a zone; the API wants an instant. */
export function toLocalInputValue(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

export function fromLocalInputValue(value: string): string | null {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
