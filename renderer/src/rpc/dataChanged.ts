import { subscribe } from './client';

/**
 * Calls `refresh` after local data of `eventId` (or any event, when null) changed. Bursts — a sync page
 * lands as hundreds of rows — collapse into one refresh, so a screen refetches at most every `quietMs`.
 */
export function onDataChanged(eventId: string | null, refresh: () => void, quietMs = 150): () => void {
  let timer: number | undefined;
  const off = subscribe('data.changed', (change) => {
    if (eventId && change.eventIds.length > 0 && !change.eventIds.includes(eventId)) return;
    if (timer !== undefined) return;
    timer = window.setTimeout(() => {
      timer = undefined;
      refresh();
    }, quietMs);
  });
  return () => {
    off();
    if (timer !== undefined) window.clearTimeout(timer);
  };
}
