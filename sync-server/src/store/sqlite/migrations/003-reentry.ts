import type { Migration } from './index';

/**
 * An event's door rule: whether a ticket holder who left may enter again (protocol/src/checkins).
 * Events created before it allowed re-entry, as the door always did.
 */
export const migration003: Migration = {
  version: 3,
  name: 'reentry',
  sql: `
ALTER TABLE events ADD COLUMN allow_reentry INTEGER NOT NULL DEFAULT 1;
`,
};
