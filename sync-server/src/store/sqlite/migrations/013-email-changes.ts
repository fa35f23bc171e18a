import type { Migration } from './index';

/**
 * Pending email changes (#20, user profile): one per user, its code kept as a SHA-256 only, found
 * by that hash when the code comes back. A used row stays until its user asks again, so a second
 * use of a code is told apart from a code never issued.
 */
export const migration013: Migration = {
  version: 13,
  name: 'email-changes',
  sql: `
CREATE TABLE email_changes (
  user_id TEXT PRIMARY KEY,
  new_email TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  requested_at TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  used_at_ms INTEGER
);`,
};
