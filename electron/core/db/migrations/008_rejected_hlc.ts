import type { Migration } from './index';

/**
 * A refused change keeps its HLC, so when the device loses its access for good the file of unsent
 * changes (protocol/src/unsent.ts) carries each scan's own order for the admin's import.
 */
export const migration008: Migration = {
  version: 8,
  name: 'rejected hlc',
  sql: `ALTER TABLE rejected_mutations ADD COLUMN hlc TEXT;`,
};
