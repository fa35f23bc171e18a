import type { Migration } from './index';

/**
 * CSV import: when a ticket was ordered in the system it was imported from (Eventbrite's and
 * pretix's order date), UTC ISO 8601; null on bookings not imported or imported without one.
 */
export const migration015: Migration = {
  version: 15,
  name: 'order-date',
  sql: `
ALTER TABLE bookings ADD COLUMN ordered_at TEXT;
`,
};
