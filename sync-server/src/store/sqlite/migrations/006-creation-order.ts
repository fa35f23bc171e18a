import type { Migration } from './index';

/**
 * Lists page on keys a row never changes (http/pagination.ts): events by (created_at, id), not by
 * their start, which an edit moves; devices by (first_seen_at, id), not by their last sync, which
 * every pull moves. The indexes follow the new orders, and the old ones go.
 */
export const migration006: Migration = {
  version: 6,
  name: 'creation-order',
  sql: `
DROP INDEX IF EXISTS events_by_start;
CREATE INDEX events_by_created ON events (created_at, id);

DROP INDEX IF EXISTS devices_by_seen;
DROP INDEX IF EXISTS devices_by_user;
CREATE INDEX devices_by_first_seen ON devices (first_seen_at, id);
CREATE INDEX devices_by_user_first_seen ON devices (user_id, first_seen_at, id);
`,
};
