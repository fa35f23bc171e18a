import type { ExportKind } from '@gatehouse/protocol';

/**
 * The file name the save dialog suggests for an export: `<event>-<kind>-<YYYY-MM-DD>.csv`, e.g.
 * `summer-gala-attendees-2026-12-01.csv` — the event's title in lower-case ASCII words joined by
 * hyphens (accents dropped; `event` when nothing is left), then the kind and the day it was
 * saved on this computer's calendar, so exports of several days sort by date.
 */
export function exportFileName(eventTitle: string, kind: ExportKind, on: Date): string {
  const slug = eventTitle
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  const day = [on.getFullYear(), on.getMonth() + 1, on.getDate()].map((n) => String(n).padStart(2, '0')).join('-');
  return `${slug || 'event'}-${kind}-${day}.csv`;
}
