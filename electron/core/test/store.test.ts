import path from 'node:path';
import { type Booking, type Checkin, type Event, PROTOCOL_VERSION } from '@gatehouse/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../store';
import { newRowId } from '../sync/ids';
import { DEVICE_ID, USER_ID, bookingDoc, eventDoc, openTempStore, page, seedEvent, tempDir } from './fixtures';

const meta = () => ({ userId: USER_ID, deviceId: DEVICE_ID, at: new Date().toISOString() });
const opened: AccountStore[] = [];
const fresh = () => {
  const store = openTempStore();
  opened.push(store);
  return store;
};
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

describe('account store', () => {
  it('records numbered migrations and runs in WAL with foreign keys on', () => {
    const store = fresh();
    expect(store.db.prepare('SELECT version, name FROM schema_migrations').all()).toEqual([
      { version: 1, name: 'init' },
      { version: 2, name: 'booking words' },
      { version: 3, name: 'booking list index' },
      { version: 4, name: 'initial sync phases' },
      { version: 5, name: 'checkins by hlc' },
      { version: 6, name: 'refusals' },
      { version: 7, name: 'search folding' },
      { version: 8, name: 'rejected hlc' },
      { version: 9, name: 'rejected subject' },
      { version: 13, name: 'photos' },
      { version: 16, name: 'erasure scrub' },
      { version: 17, name: 'bookings droppable key' },
    ]);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('secure_delete', { simple: true })).toBe(1);
  });

  it('keeps the highest rev per row and treats doc null as a tombstone', () => {
    const store = fresh();
    seedEvent(store, 'ev1', 3);
    const b = bookingDoc('ev1', 1);
    store.applyPullPage(
      page([
        {
          bucket: 'event:ev1',
          seq: 9,
          type: 'booking',
          id: b.id,
          rev: 3,
          doc: { ...b, attendee: { name: 'Rev Three' } },
        },
      ]),
    );
    store.applyPullPage(
      page([
        {
          bucket: 'event:ev1',
          seq: 10,
          type: 'booking',
          id: b.id,
          rev: 2,
          doc: { ...b, attendee: { name: 'Rev Two' } },
        },
      ]),
    );
    expect(store.rows.getDoc<Booking>('bookings', b.id)?.attendee.name).toBe('Rev Three');
    store.applyPullPage(page([{ bucket: 'event:ev1', seq: 11, type: 'booking', id: b.id, rev: 4, doc: null }]));
    expect(store.rows.getDoc('bookings', b.id)).toBeNull();
    store.applyPullPage(page([{ bucket: 'event:ev1', seq: 12, type: 'booking', id: b.id, rev: 3, doc: b }]));
    expect(store.rows.getDoc('bookings', b.id)).toBeNull();
  });

  it('shows a local mutation at once, in the same transaction as its outbox entry', () => {
    const store = fresh();
    seedEvent(store, 'ev1', 3);
    store.mutate('event.update', { eventId: 'ev1', patch: { title: 'Renamed' } }, meta());
    expect(store.rows.getDoc<Event>('events', 'ev1')?.title).toBe('Renamed');
    expect(store.outbox.peek(10)).toMatchObject([
      { name: 'event.update', args: { eventId: 'ev1', patch: { title: 'Renamed' } } },
    ]);
    expect(() => store.mutate('event.update', { eventId: 'ev1', patch: {} }, meta())).toThrow(/Invalid event.update/);
    expect(store.outbox.count()).toBe(1);
  });

  it('replays pending mutations on top of each newer server version', () => {
    const store = fresh();
    seedEvent(store, 'ev1', 1);
    store.mutate('event.update', { eventId: 'ev1', patch: { title: 'Mine' } }, meta());
    store.applyPullPage(
      page([
        {
          bucket: 'event:ev1',
          seq: 5,
          type: 'event',
          id: 'ev1',
          rev: 2,
          doc: eventDoc('ev1', { venue: 'New venue', title: 'Theirs' }),
        },
      ]),
    );
    const shown = store.rows.getDoc<Event>('events', 'ev1');
    expect(shown).toMatchObject({ title: 'Mine', venue: 'New venue' });
  });

  it('rolls back a rejected mutation, records the reason, and leaves other pending ones in place', () => {
    const store = fresh();
    seedEvent(store, 'ev1', 2);
    const cancel = store.mutate('booking.cancel', { bookingId: 'ev1-b0' }, meta());
    const walkIn = store.mutate(
      'booking.walkIn',
      { bookingId: crypto.randomUUID(), eventId: 'ev1', ticketTypeId: 'tt-general', attendee: { name: 'Door Guest' } },
      meta(),
    );
    expect(store.rows.getDoc<Booking>('bookings', 'ev1-b0')?.status).toBe('cancelled');
    store.applyPushResults(
      [{ id: cancel.id, status: 'rejected', code: 'FORBIDDEN', message: 'no longer organizer' }],
      null,
    );
    expect(store.rows.getDoc<Booking>('bookings', 'ev1-b0')?.status).toBe('confirmed');
    // Named by guest and event as held at the answer (kept in its row: a purge may take them next).
    expect(store.rejected()).toMatchObject([
      {
        mutationId: cancel.id,
        code: 'FORBIDDEN',
        name: 'booking.cancel',
        guestName: 'Guest 000000',
        eventTitle: 'Event ev1',
      },
    ]);
    expect(store.outbox.peek(10).map((entry) => entry.id)).toEqual([walkIn.id]);
    const walkInId = (walkIn.doc as Booking).id;
    store.applyPushResults([{ id: walkIn.id, status: 'rejected', code: 'FORBIDDEN', message: 'x' }], null);
    expect(store.rows.get('bookings', walkInId)).toBeUndefined();
  });

  it('after an applied push, re-derives the row from the server once a pull has caught up', () => {
    const store = fresh();
    seedEvent(store, 'ev1', 1);
    const update = store.mutate('event.update', { eventId: 'ev1', patch: { title: 'Mine' } }, meta());
    store.applyPushResults([{ id: update.id, status: 'applied' }], '000009999999999:00000:server');
    expect(store.rows.getDoc<Event>('events', 'ev1')?.title).toBe('Mine');
    // The server kept another title (last writer wins elsewhere): the device follows the server.
    store.applyPullPage(page([], { hasMore: false }));
    expect(store.rows.getDoc<Event>('events', 'ev1')?.title).toBe('Event ev1');
    expect(store.clock.current() > '000009999999999').toBe(true);
  });

  it('adopts the HLC the server stored for its check-in, and keeps a superseded edit as a notice', () => {
    const store = fresh();
    seedEvent(store, 'ev1', 1);
    const scan = store.mutate(
      'checkin.record',
      {
        id: newRowId(),
        eventId: 'ev1',
        bookingId: 'ev1-b0',
        gate: 'North',
        direction: 'in',
        scannedAt: new Date().toISOString(),
      },
      meta(),
    );
    const checkinId = (scan.doc as Checkin).id;
    const serverStamped = '000001800000000000:00000:server';
    const edit = store.mutate('event.update', { eventId: 'ev1', patch: { title: 'Too late' } }, meta());
    store.applyPushResults(
      [
        { id: scan.id, status: 'applied', hlc: serverStamped },
        { id: edit.id, status: 'applied', superseded: true },
      ],
      null,
    );
    expect(store.rows.getDoc<Checkin>('checkins', checkinId)?.hlc).toBe(serverStamped);
    expect(store.rejected()).toMatchObject([{ mutationId: edit.id, code: 'SUPERSEDED', name: 'event.update' }]);
    expect(store.outbox.count()).toBe(0);
  });

  it('skips a kind of row a newer server sends and applies the rest of the page; a known kind malformed fails it', () => {
    const store = fresh();
    seedEvent(store, 'ev1', 1);
    const future = { bucket: 'event:ev1', seq: 10, type: 'checkinVoid', id: 'v1', rev: 1, doc: { voids: 'c1' } };
    const booking = { bucket: 'event:ev1', seq: 11, type: 'booking', id: 'ev1-b9', rev: 1, doc: bookingDoc('ev1', 9) };
    store.applyPullPage({ ...page([]), changes: [future, booking], cursor: 'after-future' });
    expect(store.rows.getDoc<Booking>('bookings', 'ev1-b9')?.id).toBe('ev1-b9');
    expect(store.state.get('cursor')).toBe('after-future');
    const broken = { ...booking, id: 'ev1-b10', doc: { nonsense: true } };
    expect(() => store.applyPullPage({ ...page([]), changes: [broken], cursor: 'never' })).toThrow(/Unexpected answer/);
    expect(store.state.get('cursor')).toBe('after-future');
  });

  it('after an update raised the protocol version, pulls its buckets again and stores equal revs in the new shape', () => {
    const dir = tempDir();
    const file = path.join(dir, 'gatehouse.db');
    const before = AccountStore.open(file, DEVICE_ID, Date.now);
    seedEvent(before, 'ev1', 1);
    before.applyPullPage({ ...page([]), cursor: 'cursor-of-version-1' });
    // What a version-1 device left: no protocol recorded, and an event doc stored without a field it did not know.
    before.state.set('protocol', null);
    const { allowReentry: _dropped, ...stripped } = eventDoc('ev1', { allowReentry: false });
    before.rows.putServer('events', 'ev1', 5, stripped, true);
    before.close();

    const after = AccountStore.open(file, DEVICE_ID, Date.now);
    expect(after.state.get('cursor')).toBeNull();
    expect(after.state.get('protocol')).toBe(String(PROTOCOL_VERSION));
    const again = {
      bucket: 'event:ev1',
      seq: 1,
      type: 'event',
      id: 'ev1',
      rev: 5,
      doc: eventDoc('ev1', { allowReentry: false }),
    };
    after.applyPullPage({ ...page([]), changes: [again], cursor: 'cursor-of-version-2' });
    expect(after.rows.getDoc<Event>('events', 'ev1')?.allowReentry).toBe(false);
    expect(after.state.get('refreshing')).toBeNull();
    // Caught up: an equal rev no longer replaces anything.
    after.applyPullPage({ ...page([]), changes: [{ ...again, doc: eventDoc('ev1', { title: 'Not stored' }) }] });
    expect(after.rows.getDoc<Event>('events', 'ev1')?.title).toBe('Event ev1');
    after.close();
    // Reopened at the same version: nothing is pulled again.
    const later = AccountStore.open(file, DEVICE_ID, Date.now);
    expect(later.state.get('cursor')).not.toBeNull();
    later.close();
  });

  it('purges every row of a removed bucket, and the cursor commits with the page', () => {
    const store = fresh();
    seedEvent(store, 'ev1', 5);
    seedEvent(store, 'ev2', 5);
    const result = store.applyPullPage({ ...page([], { bucketsRemoved: ['event:ev1'] }), cursor: 'after-purge' });
    expect(result.eventIds).toContain('ev1');
    expect(store.db.prepare("SELECT count(*) AS n FROM bookings WHERE event_id = 'ev1'").get()).toEqual({ n: 0 });
    expect(store.db.prepare("SELECT count(*) AS n FROM bookings WHERE event_id = 'ev2'").get()).toEqual({ n: 5 });
    expect(store.rows.get('events', 'ev1')).toBeUndefined();
    expect(store.buckets()).toEqual(['event:ev2']);
    expect(store.state.get('cursor')).toBe('after-purge');
  });

  it('gives equal canonical hashes for equal content whatever the arrival order', () => {
    const a = fresh();
    const b = fresh();
    seedEvent(a, 'ev1', 20);
    const changes = [...Array(20).keys()].reverse().map((i) => ({
      bucket: 'event:ev1',
      seq: i,
      type: 'booking' as const,
      id: `ev1-b${i}`,
      rev: 1,
      doc: bookingDoc('ev1', i),
    }));
    b.applyPullPage(page(changes));
    const event = a.rows.get('events', 'ev1')!;
    const keyId = (a.db.prepare('SELECT id FROM ticket_keys').get() as { id: string }).id;
    const key = a.rows.get('ticket_keys', keyId) as { id: string; rev: number; server_doc: string };
    b.applyPullPage(
      page([
        { bucket: 'event:ev1', seq: 99, type: 'ticketKey', id: key.id, rev: key.rev, doc: JSON.parse(key.server_doc) },
        { bucket: 'event:ev1', seq: 98, type: 'event', id: 'ev1', rev: 1, doc: JSON.parse(event.server_doc!) },
      ]),
    );
    expect(b.bucketHash('event:ev1')).toBe(a.bucketHash('event:ev1'));
    b.mutate('booking.cancel', { bookingId: 'ev1-b3' }, meta());
    expect(b.bucketHash('event:ev1')).not.toBe(a.bucketHash('event:ev1'));
  });

  it('survives reopening: outbox, cursor and clock are on disk', () => {
    const dir = tempDir();
    const file = path.join(dir, 'gatehouse.db');
    const store = AccountStore.open(file, DEVICE_ID, Date.now);
    seedEvent(store, 'ev1', 1);
    store.mutate('booking.cancel', { bookingId: 'ev1-b0' }, meta());
    const hlc = store.clock.current();
    store.close();
    const again = AccountStore.open(file, DEVICE_ID, Date.now);
    opened.push(again);
    expect(again.outbox.count()).toBe(1);
    expect(again.state.get('cursor')).toBeTruthy();
    expect(again.clock.tick() > hlc).toBe(true);
  });
});
