import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BookingQueries } from '../bookings/queries';
import { MIGRATIONS, migrate } from '../db/migrations/index';
import type { AccountStore } from '../store';
import { bookingDoc, eventDoc, openTempStore, page, tempDir } from './fixtures';

/**
 * The device's search folds case and accents with protocol's foldForSearch, as the server does:
 * FTS5's own `remove_diacritics` folds é and ü but leaves ø, ł and ß, so "soren" found no Søren.
 */

const EVENT = 'ev-fold';
const BUCKET = `event:${EVENT}`;
const PEOPLE = [
  'Søren Kierkegaard',
  'Łukasz Żuławski',
  'Ingrid Straße',
  'Ζωή Παπαδοπούλου',
  'Оксана Ёлкина',
  'Ada Lovelace',
];

const opened: AccountStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

function withPeople(store: AccountStore): AccountStore {
  opened.push(store);
  store.applyPullPage(
    page(
      [
        { bucket: BUCKET, seq: 1, type: 'event', id: EVENT, rev: 1, doc: eventDoc(EVENT) },
        ...PEOPLE.map((name, i) => ({
          bucket: BUCKET,
          seq: i + 2,
          type: 'booking' as const,
          id: `${EVENT}-b${i}`,
          rev: 1,
          doc: bookingDoc(EVENT, i, { attendee: { name, email: `guest${i}@example.org` } }),
        })),
      ],
      { bucketsAdded: [BUCKET] },
    ),
  );
  return store;
}

const names = (store: AccountStore, q: string) =>
  new BookingQueries(store).list({ eventId: EVENT, q, offset: 0, limit: 50 }).rows.map((row) => row.attendee.name);

describe('device search folds like the server', () => {
  it('finds Søren by "soren", Łukasz by "lukasz", Straße by "STRASSE", Greek and Cyrillic without accents or case', () => {
    const store = withPeople(openTempStore());
    for (const q of ['soren', 'Søren', 'SØR', 'kierkegaard']) expect(names(store, q), q).toEqual(['Søren Kierkegaard']);
    for (const q of ['lukasz', 'ŁUKASZ', 'zulawski']) expect(names(store, q), q).toEqual(['Łukasz Żuławski']);
    for (const q of ['STRASSE', 'straße', 'ingrid strass']) expect(names(store, q), q).toEqual(['Ingrid Straße']);
    for (const q of ['ζωη', 'ΖΩΉ', 'παπαδοπουλου']) expect(names(store, q), q).toEqual(['Ζωή Παπαδοπούλου']);
    for (const q of ['елкина', 'ЁЛКИНА', 'оксана']) expect(names(store, q), q).toEqual(['Оксана Ёлкина']);
    expect(names(store, 'sorensen')).toEqual([]);
    // The scanner's name search too; names are shown as typed.
    expect(
      new BookingQueries(store).find({ eventId: EVENT, q: 'lukasz', limit: 5 }).map((b) => b.attendee.name),
    ).toEqual(['Łukasz Żuławski']);
  });

  it('migration 007 folds the words of bookings stored before it, so they are found after the upgrade', () => {
    const file = path.join(tempDir(), 'gatehouse.db');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    migrate(
      old,
      MIGRATIONS.filter((migration) => migration.version <= 6),
    );
    // As version 6 stored them: name and email lower-cased only, indexed by the triggers.
    const insert = old.prepare(
      `INSERT INTO bookings (id, event_id, rev, doc, doc_is_server, code, name_lower, email_lower, status, created_at)
       VALUES (?, ?, 1, ?, 1, ?, ?, ?, 'confirmed', ?)`,
    );
    PEOPLE.forEach((name, i) => {
      const doc = bookingDoc(EVENT, i, { attendee: { name, email: `guest${i}@example.org` } });
      insert.run(
        doc.id,
        EVENT,
        JSON.stringify(doc),
        doc.code.toLowerCase(),
        name.toLowerCase(),
        doc.attendee.email!,
        doc.createdAt,
      );
    });
    const before = (q: string) =>
      old.prepare(`SELECT count(*) AS n FROM bookings_words WHERE bookings_words MATCH ?`).get(`"${q}"*`) as {
        n: number;
      };
    expect(before('soren').n).toBe(0);
    old.close();

    const store = openTempStore(path.dirname(file));
    opened.push(store);
    expect(names(store, 'soren')).toEqual(['Søren Kierkegaard']);
    expect(names(store, 'lukasz')).toEqual(['Łukasz Żuławski']);
    expect(names(store, 'strasse')).toEqual(['Ingrid Straße']);
    expect(names(store, 'lovelace')).toEqual(['Ada Lovelace']);
    const stored = store.db.prepare('SELECT doc FROM bookings WHERE id = ?').pluck().get(`${EVENT}-b0`) as string;
    expect(JSON.parse(stored).attendee.name).toBe('Søren Kierkegaard');
  });
});
