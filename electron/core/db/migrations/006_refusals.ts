import type { Migration } from './index';

/**
 * Refused scans (`scan.refuse`, protocol version 2): synced like any row of an event's bucket, so
 * an organizer's device lists what each door refused. Newest first by HLC.
 */
export const migration006: Migration = {
  version: 6,
  name: 'refusals',
  sql: `
    CREATE TABLE refusals (
      id TEXT PRIMARY KEY,
      event_id TEXT NOT NULL,
      rev INTEGER NOT NULL DEFAULT 0,
      server_doc TEXT,
      doc TEXT,
      doc_is_server INTEGER NOT NULL DEFAULT 0,
      hlc TEXT
    );
    CREATE INDEX refusals_event_hlc ON refusals (event_id, hlc, id);
  `,
};
