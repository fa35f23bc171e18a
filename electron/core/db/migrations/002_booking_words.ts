import type { Migration } from './index';

const WORDS = `coalesce(new.name_lower, '') || ' ' || coalesce(new.email_lower, '') || ' ' || coalesce(new.code, '')`;

/**
 * Search by any word of a booking — surname, first name, email, code — as the steward types it,
 * prefix by prefix. Migration 001's indexes answer only prefixes of the whole name, so "hopper" found
 * nobody called Grace Hopper. A contentless FTS5 index keyed by the booking's rowid, kept in step by
 * triggers, so every writer of `bookings` (sync, outbox replay, purge) maintains it without knowing.
 */
export const migration002: Migration = {
  version: 2,
  name: 'booking words',
  sql: `
    CREATE VIRTUAL TABLE bookings_words USING fts5(
      words, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
    );
    CREATE TRIGGER bookings_words_insert AFTER INSERT ON bookings WHEN new.doc IS NOT NULL BEGIN
      INSERT INTO bookings_words (rowid, words) VALUES (new.rowid, ${WORDS});
    END;
    CREATE TRIGGER bookings_words_update AFTER UPDATE ON bookings
    WHEN old.name_lower IS NOT new.name_lower OR old.email_lower IS NOT new.email_lower
      OR old.code IS NOT new.code OR (old.doc IS NULL) <> (new.doc IS NULL) BEGIN
      DELETE FROM bookings_words WHERE rowid = old.rowid;
      INSERT INTO bookings_words (rowid, words) SELECT new.rowid, ${WORDS} WHERE new.doc IS NOT NULL;
    END;
    CREATE TRIGGER bookings_words_delete AFTER DELETE ON bookings BEGIN
      DELETE FROM bookings_words WHERE rowid = old.rowid;
    END;
    INSERT INTO bookings_words (rowid, words)
      SELECT rowid, coalesce(name_lower, '') || ' ' || coalesce(email_lower, '') || ' ' || coalesce(code, '')
      FROM bookings WHERE doc IS NOT NULL;
  `,
};
