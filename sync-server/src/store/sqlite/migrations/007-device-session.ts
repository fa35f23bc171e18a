import type { Migration } from './index';

/**
 * The session that last synced as each device (#18): revoking the device ends that session too,
 * even one whose sign-in named no device, so its token cannot go on syncing under a fresh device id.
 */
export const migration007: Migration = {
  version: 7,
  name: 'device-session',
  sql: `ALTER TABLE devices ADD COLUMN session_id TEXT;`,
};
