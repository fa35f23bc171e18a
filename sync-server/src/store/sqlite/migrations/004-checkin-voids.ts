import type { Migration } from './index';

/**
 * Undone admissions (`checkin.void`, protocol version 2): a void is a check-in row of its own,
 * `direction = 'void'`, naming the admission it undoes. Append-only like every scan; the door rules
 * leave the named admission out (protocol/src/checkins).
 */
export const migration004: Migration = {
  version: 4,
  name: 'checkin-voids',
  sql: `
ALTER TABLE checkins ADD COLUMN voids TEXT;
`,
};
