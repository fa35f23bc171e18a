import type { Migration } from './index';

/**
 * Whom and what a refused change was about — the guest's name and the event's title as this device
 * held them when the server's answer came. Kept with the refusal because the refusal often takes
 * them away: a steward unassigned from an event loses its bucket on the next pull, and the banner
 * must still say whose check-in at which event the server refused.
 */
export const migration009: Migration = {
  version: 9,
  name: 'rejected subject',
  sql: `
    ALTER TABLE rejected_mutations ADD COLUMN guest_name TEXT;
    ALTER TABLE rejected_mutations ADD COLUMN event_title TEXT;
  `,
};
