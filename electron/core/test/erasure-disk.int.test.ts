import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ERASED_ATTENDEE_NAME, type Attendee, type Booking, type Event } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { signInAs, type SignedIn } from '../../../tests/support/users';
import { addBookings, createEvent, type Device, eventually } from '../../../tests/sync/support';
import { syncServerForFile } from './sync-server';

/**
 * An erasure leaves the device's disk (#20): once the erased version is pulled, the attendee's old
 * name and email are in none of the account's SQLite files — not in a row, not in the search
 * index's segments, not in a freed cell, not in the WAL (bookings/erasure-scrub.ts, secure_delete
 * in db/open.ts). Read as raw bytes, as anyone with the disk could.
 *
 * Checked by taking each part away once: without the scrub (FTS5 optimize, WAL truncate) both
 * attendees' words stay in the WAL and the file; without secure_delete the long name stays in the
 * freed part of its cells (a shorter row reuses only the tail of the old one's space).
 */
let organizer: SignedIn;
const sync = syncServerForFile(async (server) => {
  organizer = await signInAs(server, 'organizer');
});

/** Which of `traces` each of the account's files holds, as bytes on disk. */
function tracesOnDisk(file: string, traces: string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const part of [file, `${file}-wal`, `${file}-shm`]) {
    if (!existsSync(part)) continue;
    const bytes = readFileSync(part);
    const hits = traces.filter((trace) => bytes.includes(Buffer.from(trace, 'utf8')));
    if (hits.length > 0) found[part] = hits;
  }
  return found;
}

async function readyDevice(): Promise<Device> {
  const device = await sync.device(organizer);
  await device.core.syncNow();
  await eventually(() => device.core.requireAccount().store.phase() === 'ready', 'the search index built');
  return device;
}

/**
 * A ready device that has pulled `others` bookings of a new event, then `attendee`'s booking by an
 * ordinary pull (so its words go into the index by trigger, segment by segment).
 */
async function deviceWithBooking(attendee: Attendee, others: number) {
  const event: Event = await createEvent(organizer.api, []);
  await addBookings(sync.server, event, others);
  const device = await readyDevice();
  const account = device.core.requireAccount();
  const booking = await organizer.api.post<Booking>(`/events/${event.id}/bookings`, {
    ticketTypeId: event.ticketTypes[0]!.id,
    attendee,
  });
  expect(booking.status).toBe(201);
  await device.core.syncNow();
  const search = (q: string) => account.bookings.list({ eventId: event.id, offset: 0, limit: 10, q });
  const scrubNotes = () => account.store.db.prepare('SELECT count(*) FROM erasures_to_scrub').pluck().get();
  return { device, booking: booking.body, file: account.store.file, search, scrubNotes };
}

const CASES: { what: string; attendee: Attendee; traces: string[] }[] = [
  {
    what: 'a usual name and email',
    attendee: { name: 'Zephyrine Quillfeather', email: 'zq.vanishing@erasure.test' },
    traces: ['Zephyrine Quillfeather', 'zq.vanishing@erasure.test', 'zephyrine', 'quillfeather', 'vanishing'],
  },
  {
    what: 'a long name and email (freed cell space larger than the erased row needs)',
    attendee: {
      name: `Yolanthe Brightwater ${'Montgomery-Ashcombe '.repeat(8)}`.trim(),
      email: `yb.disappearing.${'x'.repeat(60)}@erasure.test`,
    },
    traces: ['Yolanthe Brightwater', 'yolanthe', 'brightwater', 'disappearing'],
  },
];

describe('erasure on a device', { timeout: 120_000 }, () => {
  for (const { what, attendee, traces } of CASES) {
    it(`leaves no trace of ${what} in the device's database, WAL or shared memory`, async () => {
      const { device, booking, file, search, scrubNotes } = await deviceWithBooking(attendee, 40);
      expect(search(traces[2]!).total).toBe(1);
      // Seen before the erasure, so their absence after it means something.
      expect(Object.values(tracesOnDisk(file, traces)).flat()).toEqual(expect.arrayContaining(traces));

      expect((await organizer.api.post(`/bookings/${booking.id}/erasure`, {})).status).toBe(200);
      await device.core.syncNow();

      expect(search(traces[2]!).total).toBe(0);
      expect(search(booking.code).rows[0]).toMatchObject({ attendee: { name: ERASED_ATTENDEE_NAME } });
      // At once, or at the scrub's retry when the store's checkpoint worker held the WAL just then.
      await eventually(() => Object.keys(tracesOnDisk(file, traces)).length === 0, 'the erasure scrubbed');
      expect(tracesOnDisk(file, traces)).toEqual({});
      // The other attendees are still found: the merge kept the index whole.
      expect(search('guest').total).toBe(40);
      expect(scrubNotes()).toBe(0);
    });
  }

  it('an erasure that finds the WAL in use leaves the disk once it is free, with no further change', async () => {
    const attendee = { name: 'Wilhelmina Stargazer', email: 'ws.fading@erasure.test' };
    const traces = ['Wilhelmina Stargazer', 'ws.fading@erasure.test', 'wilhelmina', 'stargazer'];
    const { device, booking, file, search, scrubNotes: notes } = await deviceWithBooking(attendee, 10);
    // Another connection reading from before the erasure: a TRUNCATE checkpoint cannot empty the WAL.
    const reader = new Database(file, { fileMustExist: true });
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT count(*) FROM bookings').get();
    try {
      expect((await organizer.api.post(`/bookings/${booking.id}/erasure`, {})).status).toBe(200);
      await device.core.syncNow();
      expect(search('stargazer').total).toBe(0);
      expect(Object.values(tracesOnDisk(file, traces)).flat()).not.toEqual([]);
      expect(notes()).toBe(1);
    } finally {
      reader.prepare('COMMIT').run();
      reader.close();
    }
    // No pull, no write: the scrub's own retry finishes it.
    // Retries double from 100 ms while the reader holds, at most 30 s apart.
    await eventually(() => notes() === 0, 'the scrub retried once the WAL was free', 45_000);
    expect(tracesOnDisk(file, traces)).toEqual({});
  });

  it('leaves no trace when the index was built in bulk after an initial sync and copied into the file', async () => {
    const event = await createEvent(organizer.api, []);
    const ids = await addBookings(sync.server, event, 3000, 'Quillfeather Cousin');
    const device = await readyDevice();
    const account = device.core.requireAccount();
    // What the store's timed checkpoint does a few seconds after the build: the index is in the file.
    account.store.db.pragma('wal_checkpoint(TRUNCATE)');
    const traces = ['Quillfeather Cousin 1500', 'quillfeather cousin1500@example.test'];
    expect(tracesOnDisk(account.store.file, traces)).not.toEqual({});

    expect((await organizer.api.post(`/bookings/${ids[1500]}/erasure`, {})).status).toBe(200);
    await device.core.syncNow();
    expect(tracesOnDisk(account.store.file, traces)).toEqual({});
  });
});
