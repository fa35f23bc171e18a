import path from 'node:path';
import type { Booking, Event } from '@gatehouse/protocol';
import Database from 'better-sqlite3';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { reopenedDbName, startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs } from '../../tests/support/users';
import { createStaffedEvent, signInCast, type Cast } from './events-fixtures';
import { migration009 } from '../src/store/sqlite/migrations/009-search-folding';

/**
 * Booking search folds case and accents (protocol foldForSearch) on the server, on whichever store
 * this run uses: "soren" finds "Søren", "lukasz" finds "Łukasz", "STRASSE" finds "Straße" and the
 * other way round, and a store written before folding finds them too once it is opened again.
 */

const PEOPLE = ['Søren Kierkegaard', 'Łukasz Żuławski', 'Ingrid Straße', 'Ζωή Παπαδοπούλου', 'Ada Lovelace'];

let server: TestServer;
let cast: Cast;
beforeAll(async () => {
  server = await startTestServer();
  cast = await signInCast(server);
});
afterAll(async () => {
  await server?.close();
});

async function seed(api: Cast['organizer']['api'], event: Event): Promise<Booking[]> {
  const booked: Booking[] = [];
  for (const [index, name] of PEOPLE.entries()) {
    const result = await api.post(`/events/${event.id}/bookings`, {
      ticketTypeId: event.ticketTypes[0]!.id,
      attendee: { name, email: `guest${index}@example.org` },
    });
    expect(result.status, JSON.stringify(result.body)).toBe(201);
    booked.push(result.body as Booking);
  }
  return booked;
}

async function namesFound(api: Cast['organizer']['api'], eventId: string, q: string): Promise<string[]> {
  const result = await api.get(`/events/${eventId}/bookings?q=${encodeURIComponent(q)}`);
  expect(result.status, q).toBe(200);
  return (result.body.items as Booking[]).map((booking) => booking.attendee.name).sort();
}

describe('booking search folds case and accents', () => {
  it('finds Søren by "soren", Łukasz by "lukasz", Straße by "STRASSE" and Ζωή by "ζωη", and keeps names as typed', async () => {
    const event = await createStaffedEvent(cast);
    const booked = await seed(cast.organizer.api, event);
    expect(booked.map((booking) => booking.attendee.name)).toEqual(PEOPLE);
    const found = (q: string) => namesFound(cast.staff.api, event.id, q);

    for (const q of ['soren', 'Søren', 'SØREN', 'sør', 'kierkegaard'])
      expect(await found(q), q).toEqual(['Søren Kierkegaard']);
    for (const q of ['lukasz', 'Łukasz', 'ŁUKASZ', 'zulawski', 'Żuławski'])
      expect(await found(q), q).toEqual(['Łukasz Żuławski']);
    for (const q of ['STRASSE', 'straße', 'Strasse', 'ingrid strass'])
      expect(await found(q), q).toEqual(['Ingrid Straße']);
    for (const q of ['ζωη', 'ΖΩΉ', 'Ζωή', 'παπαδοπουλου']) expect(await found(q), q).toEqual(['Ζωή Παπαδοπούλου']);
    expect(await found('sorensen')).toEqual([]);
    expect(await found('ada')).toEqual(['Ada Lovelace']);
  });
});

/** The words a store wrote before folding: lower-cased only (SEARCH_FOLDING_VERSION 1). */
function unfoldedTermsOf(name: string, email: string, code: string): string[] {
  const words = `${name} ${email}`
    .toLowerCase()
    .split(/[\s@.,;:+()"'<>[\]-]+/)
    .filter((word) => word.length > 0);
  return [...new Set([...words, email.toLowerCase(), code.toLowerCase()])];
}

/** Puts the store's search words back as an older server wrote them, with the store closed; on SQLite then runs the folding step over them as opening a version-8 file does. */
async function unfold(closed: TestServer, booked: Booking[]): Promise<void> {
  const store = closed.config.store;
  if (store.kind === 'sqlite') {
    const db = new Database(path.join(closed.config.dataDir, 'gatehouse.db'));
    try {
      db.transaction(() => {
        for (const booking of booked) {
          const terms = unfoldedTermsOf(booking.attendee.name, booking.attendee.email!, booking.code);
          db.prepare('DELETE FROM booking_words WHERE booking_id = ?').run(booking.id);
          for (const term of terms)
            db.prepare('INSERT INTO booking_words (event_id, term, booking_id) VALUES (?, ?, ?)').run(
              booking.eventId,
              term,
              booking.id,
            );
          db.prepare('UPDATE bookings SET search_terms = ? WHERE id = ?').run(
            `\u0001${terms.join('\u0001')}`,
            booking.id,
          );
        }
        // What opening a version-8 file does: run the search-folding step over these rows. Rewinding
        // `user_version` instead would re-run every later migration too, which only the last may bear.
        migration009.run!(db);
      })();
    } finally {
      db.close();
    }
    return;
  }
  const client = await MongoClient.connect(inject('mongoUri'));
  try {
    const db = client.db(store.dbName);
    for (const booking of booked) {
      const terms = unfoldedTermsOf(booking.attendee.name, booking.attendee.email!, booking.code);
      await db.collection<{ _id: string }>('bookings').updateOne({ _id: booking.id }, { $set: { searchTerms: terms } });
    }
    await db.collection<{ _id: string }>('upgrades').deleteOne({ _id: 'searchFolding' });
  } finally {
    await client.close();
  }
}

describe('a store written before folding', () => {
  it('finds the same people after the upgrade rebuilds their search words', async () => {
    const own = await startTestServer();
    const ownCast = await signInCast(own);
    const event = await createStaffedEvent(ownCast);
    const booked = await seed(ownCast.organizer.api, event);
    await own.close();
    await unfold(own, booked);

    const reopened = await startTestServer({ dataDir: own.config.dataDir, dbName: reopenedDbName(own) });
    try {
      // An admin sees every event, whoever created it before the restart.
      const admin = await signInAs(reopened, 'admin');
      const found = (q: string) => namesFound(admin.api, event.id, q);
      expect(await found('soren')).toEqual(['Søren Kierkegaard']);
      expect(await found('lukasz')).toEqual(['Łukasz Żuławski']);
      expect(await found('strasse')).toEqual(['Ingrid Straße']);
      expect(await found('ζωη')).toEqual(['Ζωή Παπαδοπούλου']);
      expect(await found('lovelace')).toEqual(['Ada Lovelace']);
    } finally {
      await reopened.close();
    }
  });
});
