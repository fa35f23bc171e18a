import type Database from 'better-sqlite3';
import { attendeeOf, bookingTermsOf, searchTermsColumn } from '../bookings';
import type { Migration } from './index';

type Stored = {
  id: string;
  event_id: string;
  attendee_name: string;
  attendee_email: string | null;
  code: string;
  search_terms: string;
};

/** Text that lower-casing alone folded (SEARCH_FOLDING_VERSION 1) exactly as foldForSearch does. */
// eslint-disable-next-line no-control-regex
const PLAIN = /^[\u0000-\u007f]*$/;

/**
 * Search words folded for case and accents (protocol's foldForSearch, SEARCH_FOLDING_VERSION 2):
 * migration 001's terms were only lower-cased, so "soren" did not find "Søren". Each booking's
 * `search_terms` and `booking_words` are rebuilt from its stored name, email and code; a booking
 * whose name, email and code are plain ASCII folds as it did, and is left as it is.
 */
export const migration009: Migration = {
  version: 9,
  name: 'search-folding',
  sql: '',
  run(db: Database.Database): void {
    const setTerms = db.prepare('UPDATE bookings SET search_terms = ? WHERE id = ?');
    const removeWord = db.prepare('DELETE FROM booking_words WHERE event_id = ? AND term = ? AND booking_id = ?');
    const addWord = db.prepare('INSERT OR IGNORE INTO booking_words (event_id, term, booking_id) VALUES (?, ?, ?)');
    const refold = (row: Stored): void => {
      if (PLAIN.test(row.attendee_name) && PLAIN.test(row.attendee_email ?? '') && PLAIN.test(row.code)) return;
      const terms = bookingTermsOf(attendeeOf(row.attendee_name, row.attendee_email), row.code);
      const column = searchTermsColumn(terms);
      if (column === row.search_terms) return;
      for (const old of row.search_terms.split('\u0001')) {
        if (old.length > 0) removeWord.run(row.event_id, old, row.id);
      }
      for (const term of terms) addWord.run(row.event_id, term, row.id);
      setTerms.run(column, row.id);
    };
    // A page read, then written: a connection cannot write while a statement is still reading.
    const page = db.prepare(
      `SELECT id, event_id, attendee_name, attendee_email, code, search_terms FROM bookings
       WHERE id > ? ORDER BY id LIMIT 1000`,
    );
    for (let rows = page.all('') as Stored[]; rows.length > 0; rows = page.all(rows.at(-1)!.id) as Stored[]) {
      for (const row of rows) refold(row);
    }
  },
};
