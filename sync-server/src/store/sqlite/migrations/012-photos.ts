import type { Migration } from './index';

/**
 * Photos (issue #20): a `blobs` table holding each stored image's bytes with its description, and
 * the photo id (the blob's SHA-256) on users and bookings. Blobs live in the database file rather
 * than in files beside it: a photo is at most a few hundred kB (512×512 WebP), which SQLite reads
 * about as fast as a file; putting one is then one transaction with no half-written file to clean up
 * after a crash; and the online backup (`store:backup`) and the migration to MongoDB carry them with
 * everything else, with nothing to keep in step.
 */
export const migration012: Migration = {
  version: 12,
  name: 'photos',
  sql: `
CREATE TABLE blobs (
  id TEXT PRIMARY KEY,
  content_type TEXT NOT NULL,
  byte_length INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  data BLOB NOT NULL
);
ALTER TABLE users ADD COLUMN photo_id TEXT;
ALTER TABLE bookings ADD COLUMN photo_id TEXT;
`,
};
