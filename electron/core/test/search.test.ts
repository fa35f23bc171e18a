import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BookingQueries, wordsQuery } from '../bookings/queries';
import type { AccountStore } from '../store';
import { bookingDoc, eventDoc, openTempStore, page } from './fixtures';

const EVENT = 'ev-search';
const PEOPLE = ['Grace Hopper', 'Ada Lovelace', 'Grace Kelly', 'José Núñez', 'Anne-Marie O’Neil'];
let store: AccountStore;
let queries: BookingQueries;

beforeAll(() => {
  store = openTempStore();
  const bucket = `event:${EVENT}`;
  store.applyPullPage(
    page(
      [
        { bucket, seq: 1, type: 'event', id: EVENT, rev: 1, doc: eventDoc(EVENT) },
        ...PEOPLE.map((name, i) => ({
          bucket,
          seq: i + 2,
          type: 'booking' as const,
          id: `${EVENT}-b${i}`,
          rev: 1,
          doc: bookingDoc(EVENT, i, { attendee: { name, email: `${name.split(' ')[0]!.toLowerCase()}@example.org` } }),
        })),
      ],
      { bucketsAdded: [bucket] },
    ),
  );
  queries = new BookingQueries(store);
});
afterAll(() => store.close());

const names = (q: string) => queries.list({ eventId: EVENT, q, offset: 0, limit: 50 }).rows.map((r) => r.attendee.name);

describe('attendee search by any word', () => {
  it('finds by surname, first name, both in any order, prefixes, email and code', () => {
    expect(names('hopper')).toEqual(['Grace Hopper']);
    expect(names('grace')).toEqual(['Grace Hopper', 'Grace Kelly']);
    expect(names('kel gra')).toEqual(['Grace Kelly']);
    expect(names('HOP')).toEqual(['Grace Hopper']);
    expect(names('ada@exam')).toEqual(['Ada Lovelace']);
    expect(names('c0000001')).toEqual(['Ada Lovelace']);
    expect(queries.list({ eventId: EVENT, q: 'grace', offset: 0, limit: 1 }).total).toBe(2);
  });

  it('ignores accents and splits hyphenated names', () => {
    expect(names('nunez')).toEqual(['José Núñez']);
    expect(names('marie')).toEqual(['Anne-Marie O’Neil']);
  });

  it('treats FTS syntax and punctuation as text, never as a query or an error', () => {
    for (const q of ['"', '*', 'NEAR(', 'grace OR ada', 'hopper"*', '-', '()', ':^']) {
      expect(() => names(q), q).not.toThrow();
    }
    expect(names('grace OR ada')).toEqual([]);
    expect(names('*')).toEqual([]);
    expect(wordsQuery('say "hi"')).toBe('"say"* """hi"""*');
  });

  it('follows edits and purges of bookings', () => {
    const bucket = `event:${EVENT}`;
    const renamed = bookingDoc(EVENT, 1, { attendee: { name: 'Ada King', email: 'ada@example.org' } });
    store.applyPullPage(page([{ bucket, seq: 20, type: 'booking', id: renamed.id, rev: 2, doc: renamed }]));
    expect(names('lovelace')).toEqual([]);
    expect(names('king')).toEqual(['Ada King']);
    store.applyPullPage(page([], { bucketsRemoved: [bucket] }));
    expect(names('grace')).toEqual([]);
    expect(store.db.prepare('SELECT count(*) AS n FROM bookings_words').get()).toEqual({ n: 0 });
  });
});
