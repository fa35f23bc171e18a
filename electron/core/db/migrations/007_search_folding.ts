import { foldForSearch } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import type { Migration } from './index';

type Stored = {
  id: string;
  name: string | null;
  email: string | null;
  name_lower: string | null;
  email_lower: string | null;
};

/**
 * Search folded for case and accents like the server's (protocol foldForSearch): `name_lower` and
 * `email_lower` now hold the folded name and email (db/rows.ts), so "soren" finds "Søren" and
 * "strasse" finds "Straße" — FTS5's own `remove_diacritics` leaves ø, ł, ß and the like as they
 * are. Each live booking's columns are derived again from its doc where they differ (plain ASCII
 * folds as it did); migration 004's update trigger then re-indexes the rows the index holds, and
 * the bulk build reads the new words of the rest.
 */
export const migration007: Migration = {
  version: 7,
  name: 'search folding',
  sql: '',
  run(db: Database.Database): void {
    const set = db.prepare('UPDATE bookings SET name_lower = ?, email_lower = ? WHERE id = ?');
    const rows = db
      .prepare(
        `SELECT id, json_extract(doc, '$.attendee.name') AS name, json_extract(doc, '$.attendee.email') AS email,
           name_lower, email_lower
         FROM bookings WHERE doc IS NOT NULL`,
      )
      .all() as Stored[];
    for (const row of rows) {
      const name = typeof row.name === 'string' ? foldForSearch(row.name) : null;
      const email = typeof row.email === 'string' ? foldForSearch(row.email) : null;
      if (name !== row.name_lower || email !== row.email_lower) set.run(name, email, row.id);
    }
  },
};
