import type { Migration } from './index';

/**
 * Check-ins kept one index per event instead of two. `checkins_by_event (event_id, received_at)`
 * served only `WHERE event_id = ?` (count, list, stats), which `checkins_by_event_hlc (event_id,
 * hlc, id)` (migration 011) answers as well; no query ordered by receipt time. Each pushed check-in
 * wrote an entry in both, and the commit wrote their pages.
 */
export const migration016: Migration = {
  version: 16,
  name: 'one-event-index-of-checkins',
  sql: `
DROP INDEX checkins_by_event;
`,
};
