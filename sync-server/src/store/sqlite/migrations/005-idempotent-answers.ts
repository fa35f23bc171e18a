import type { Migration } from './index';

/**
 * Idempotency-Key claims for every creating route, not only online bookings: a claim names the id
 * its request creates under (`resource_id`, was `booking_id`) and keeps the answer it gave, which
 * a retry gets again. Purged by age (`created_at_ms`) like the MongoDB adapter's TTL index.
 */
export const migration005: Migration = {
  version: 5,
  name: 'idempotent-answers',
  sql: `
ALTER TABLE idempotency_claims RENAME COLUMN booking_id TO resource_id;
ALTER TABLE idempotency_claims ADD COLUMN answer_status INTEGER;
ALTER TABLE idempotency_claims ADD COLUMN answer_body TEXT;
CREATE INDEX idempotency_claims_by_age ON idempotency_claims (created_at_ms);
`,
};
