import type { Migration } from './index';

/**
 * Mail hand-offs are taken oldest first: `recorded_at_ms` is when the row's hand-off was first
 * recorded (kept while items are added to it, new once it was cleared and owed again). Listed by
 * row id before, a run of hand-offs that kept failing could sort ahead of every newer one for
 * good. Hand-offs already waiting get 0: older than any recorded from now on, in row-id order.
 */
export const migration002: Migration = {
  version: 2,
  name: 'handoff-age',
  sql: `
ALTER TABLE mail_handoffs ADD COLUMN recorded_at_ms INTEGER NOT NULL DEFAULT 0;
-- handoffs(): per kind, oldest first
CREATE INDEX mail_handoffs_by_age ON mail_handoffs (kind, recorded_at_ms, row_id);
`,
};
