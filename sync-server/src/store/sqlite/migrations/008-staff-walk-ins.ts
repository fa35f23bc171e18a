import type { Migration } from './index';

/**
 * An event's setting: whether its assigned check-in staff may add walk-ins (protocol's
 * mayAddWalkIn). Events created before it do not allow them: the app never offered walk-ins to
 * staff, and a walk-in is let in even beyond capacity, so it is the organizer's to switch on.
 */
export const migration008: Migration = {
  version: 8,
  name: 'staff-walk-ins',
  sql: `
ALTER TABLE events ADD COLUMN staff_walk_ins INTEGER NOT NULL DEFAULT 0;
`,
};
