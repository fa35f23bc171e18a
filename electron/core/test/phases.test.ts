import path from 'node:path';
import type { Booking, Change } from '@gatehouse/protocol';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BookingQueries } from '../bookings/queries';
import { MIGRATIONS, migrate } from '../db/migrations/index';
import { AccountStore } from '../store';
import { DEVICE_ID, USER_ID, bookingDoc, eventDoc, page, tempDir } from './fixtures';

const EVENT = 'ev-phases';
const BUCKET = `event:${EVENT}`;
const meta = () => ({ userId: USER_ID, deviceId: DEVICE_ID, at: new Date().toISOString() });
const FIRST = ['Ada', 'Grace', 'Alan', 'Barbara', 'Donald'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Liskov', 'Knuth'];
const nameOf = (i: number) => `${FIRST[i % 5]} ${LAST[Math.floor(i / 5) % 5]} n${i}`;

const opened: AccountStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

function open(file: string): AccountStore {
  const store = AccountStore.open(file, DEVICE_ID, Date.now);
  opened.push(store);
  return store;
}

/** Closes without finishing anything in flight: what SQLite has committed is what a restart finds. */
function crash(store: AccountStore): void {
  opened.splice(opened.indexOf(store), 1);
  store.close();
}

/** An event's bucket as the server would page it: the event first, then `count` bookings. */
function serverPages(count: number, pageSize: number): ReturnType<typeof page>[] {
  const changes: Change[] = [{ bucket: BUCKET, seq: 1, type: 'event', id: EVENT, rev: 1, doc: eventDoc(EVENT) }];
  for (let i = 0; i < count; i++) {
    const doc = bookingDoc(EVENT, i, { attendee: { name: nameOf(i), email: `guest${i}@example.test` } });
    changes.push({ bucket: BUCKET, seq: i + 2, type: 'booking', id: doc.id, rev: 1, doc });
  }
  const pages = [];
  for (let start = 0; start < changes.length; start += pageSize) {
    const last = start + pageSize >= changes.length;
    pages.push({
      ...page(changes.slice(start, start + pageSize), { bucketsAdded: start === 0 ? [BUCKET] : [], hasMore: !last }),
      cursor: `cursor-${start + pageSize}`,
    });
  }
  return pages;
}

const count = (store: AccountStore, sql: string) => (store.db.prepare(sql).get() as { n: number }).n;
const indexNames = (store: AccountStore) =>
  (
    store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bookings'").all() as {
      name: string;
    }[]
  )
    .map((row) => row.name)
    .filter((name) => !name.startsWith('sqlite_'))
    .sort();

/** The search index holds exactly the live bookings: no row missing, none stale or twice. */
function expectIndexInStep(store: AccountStore): void {
  const live = store.db.prepare('SELECT rowid FROM bookings WHERE doc IS NOT NULL ORDER BY rowid').pluck().all();
  const indexed = store.db.prepare('SELECT rowid FROM bookings_words ORDER BY rowid').pluck().all();
  expect(indexed).toEqual(live);
}

function finishIndex(store: AccountStore, rowsPerStep = 40): number {
  let steps = 0;
  while (!store.searchIndex.step(rowsPerStep).done) steps++;
  return steps + 1;
}

const names = (store: AccountStore, q: string) =>
  new BookingQueries(store).list({ eventId: EVENT, q, offset: 0, limit: 500 }).rows.map((row) => row.attendee.name);

describe('initial sync in phases', () => {
  it('goes syncing → readyToScan → indexing → ready, each phase on disk, the list and scans working from readyToScan', () => {
    const file = path.join(tempDir(), 'gatehouse.db');
    let store = open(file);
    expect(store.phase()).toBe('ready');
    expect(store.beginInitialSync()).toBe(true);
    expect(store.phase()).toBe('syncing');
    // Rows go in the cheap way: appended to a table with no index, not even its key, nothing in
    // the search index.
    expect(indexNames(store)).toEqual([]);
    expect(count(store, "SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bookings'")).toBe(
      0,
    );
    const pages = serverPages(300, 80);
    store.applyPullPage(pages[0]!);
    store.applyPullPage(pages[1]!);
    expect(count(store, 'SELECT count(*) AS n FROM bookings_words')).toBe(0);
    // Stored once: the server's version is the shown doc.
    expect(count(store, 'SELECT count(*) AS n FROM bookings WHERE server_doc IS NOT NULL OR doc_is_server = 0')).toBe(
      0,
    );
    // The list answers while syncing (without its index) and the phase survives a restart.
    expect(new BookingQueries(store).list({ eventId: EVENT, offset: 0, limit: 5 }).total).toBe(159);
    crash(store);
    store = open(file);
    expect(store.phase()).toBe('syncing');
    expect(store.beginInitialSync()).toBe(true);
    for (const next of pages.slice(2)) store.applyPullPage(next);
    expect(store.phase()).toBe('readyToScan');
    // A verdict needs the key and the code; the list index waits for the search index's build.
    expect(indexNames(store)).toEqual(['bookings_code', 'bookings_id']);
    expect(store.rows.getDoc<Booking>('bookings', `${EVENT}-b299`)?.attendee.name).toBe(nameOf(299));
    // The list answers without it, in its order: by folded name, then id.
    const listed = new BookingQueries(store).list({ eventId: EVENT, offset: 0, limit: 300 });
    expect(listed.total).toBe(300);
    const inListOrder = Array.from({ length: 300 }, (_, i) => ({ name: nameOf(i).toLowerCase(), id: `${EVENT}-b${i}` }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))
      .map((row) => row.id);
    expect(listed.rows.map((row) => row.id)).toEqual(inListOrder);
    expect(names(store, 'hopper')).toEqual([]);
    crash(store);
    store = open(file);
    expect(store.phase()).toBe('readyToScan');
    expect(indexNames(store)).toEqual(['bookings_code', 'bookings_id']);

    // The first chunk of the search index builds the list index in its transaction.
    const first = store.searchIndex.step(100);
    expect(first).toMatchObject({ done: false, indexed: 100, total: 300 });
    expect(store.phase()).toBe('indexing');
    expect(indexNames(store)).toEqual(['bookings_code', 'bookings_id', 'bookings_list']);
    expect(new BookingQueries(store).list({ eventId: EVENT, offset: 0, limit: 300 }).rows.map((row) => row.id)).toEqual(
      inListOrder,
    );
    crash(store);
    store = open(file);
    expect(store.phase()).toBe('indexing');
    expect(store.searchIndex.progress()).toEqual({ done: 100, total: 300 });
    finishIndex(store);
    expect(store.phase()).toBe('ready');
    expectIndexInStep(store);
    expect(names(store, 'hopper')).toHaveLength(60);
    expect(names(store, 'grace hopper n6')).toEqual(['Grace Hopper n6']);
    crash(store);
    store = open(file);
    expect(store.phase()).toBe('ready');
    // Later changes keep the index in step through the triggers, as before phases existed.
    const renamed = bookingDoc(EVENT, 6, { attendee: { name: 'Grace Kelly', email: 'gk@example.test' } });
    store.applyPullPage(page([{ bucket: BUCKET, seq: 900, type: 'booking', id: renamed.id, rev: 2, doc: renamed }]));
    expect(names(store, 'kelly')).toEqual(['Grace Kelly']);
    expectIndexInStep(store);
  });

  it("keeps one row per booking, the version an upsert keeps, when the bucket's log holds a booking several times", () => {
    const store = open(path.join(tempDir(), 'gatehouse.db'));
    expect(store.beginInitialSync()).toBe(true);
    const version = (i: number, rev: number, name: string | null, seq: number): Change => {
      const doc = bookingDoc(EVENT, i, { attendee: { name: name ?? '', email: `guest${i}@example.test` } });
      return { bucket: BUCKET, seq, type: 'booking', id: doc.id, rev, doc: name === null ? null : doc };
    };
    const first = page(
      [
        { bucket: BUCKET, seq: 1, type: 'event', id: EVENT, rev: 1, doc: eventDoc(EVENT) },
        version(0, 1, 'Ada Lovelace', 2),
        version(1, 1, 'Grace Hopper', 3),
        version(2, 1, 'Alan Turing', 4),
      ],
      { bucketsAdded: [BUCKET], hasMore: true },
    );
    // Renamed, deleted (a tombstone carries no event id), and the same rev sent again.
    const second = page([version(0, 2, 'Ada King', 5), version(2, 2, null, 6), version(1, 1, 'Grace Hopper', 7)]);
    store.applyPullPage(first, false);
    store.applyPullPage(second, true);
    expect(store.phase()).toBe('readyToScan');
    expect(indexNames(store)).toEqual(['bookings_code', 'bookings_id']);
    const rows = store.db.prepare('SELECT id, event_id, rev, doc IS NULL AS gone FROM bookings ORDER BY id').all();
    expect(rows).toEqual([
      { id: `${EVENT}-b0`, event_id: EVENT, rev: 2, gone: 0 },
      { id: `${EVENT}-b1`, event_id: EVENT, rev: 1, gone: 0 },
      { id: `${EVENT}-b2`, event_id: EVENT, rev: 2, gone: 1 },
    ]);
    expect(store.rows.getDoc<Booking>('bookings', `${EVENT}-b0`)?.attendee.name).toBe('Ada King');
    // Keyed again: a later version replaces the row rather than adding one.
    store.applyPullPage(page([version(1, 2, 'Grace Brewster Hopper', 8)]));
    expect(count(store, `SELECT count(*) AS n FROM bookings WHERE id = '${EVENT}-b1'`)).toBe(1);
    finishIndex(store);
    expect(names(store, 'brewster')).toEqual(['Grace Brewster Hopper']);
    expect(names(store, 'lovelace')).toEqual([]);
    expectIndexInStep(store);
  });

  it('a resync over rows already here, or a database with rows, keeps indexing row by row', () => {
    const store = open(path.join(tempDir(), 'gatehouse.db'));
    const pages = serverPages(20, 50);
    store.applyPullPage(pages[0]!);
    expect(store.phase()).toBe('ready');
    store.state.set('cursor', null);
    expect(store.beginInitialSync()).toBe(false);
    expect(store.phase()).toBe('ready');
    expectIndexInStep(store);
    expect(names(store, 'lovelace')).toHaveLength(5);
  });

  it('loses no change that lands while the index is being built, below or above the built part', () => {
    const store = open(path.join(tempDir(), 'gatehouse.db'));
    store.beginInitialSync();
    for (const next of serverPages(200, 500)) store.applyPullPage(next);
    // Bookings b0…b99 (rowids 1…100) are indexed, the rest not yet.
    expect(store.searchIndex.step(100)).toMatchObject({ done: false, indexed: 100 });
    const rename = (i: number, name: string, rev = 2) => {
      const doc = bookingDoc(EVENT, i, { attendee: { name, email: `renamed${i}@example.test` } });
      return { bucket: BUCKET, seq: 1000 + i, type: 'booking' as const, id: doc.id, rev, doc };
    };
    // From the server: renames below and above the mark, a deletion below it.
    store.applyPullPage(
      page([
        rename(10, 'Below Mark'),
        rename(99, 'At Mark'),
        rename(100, 'Past Mark'),
        rename(150, 'Above Mark'),
        { bucket: BUCKET, seq: 1200, type: 'booking', id: `${EVENT}-b20`, rev: 2, doc: null },
      ]),
    );
    // Local writes: a walk-in (a new row at the end) and a cancellation (doc changes, words do not).
    const walkIn = store.mutate(
      'booking.walkIn',
      { bookingId: crypto.randomUUID(), eventId: EVENT, ticketTypeId: 'tt-general', attendee: { name: 'Door Guest' } },
      meta(),
    );
    store.mutate('booking.cancel', { bookingId: `${EVENT}-b30` }, meta());
    expect(store.phase()).toBe('indexing');
    finishIndex(store, 25);
    expect(store.phase()).toBe('ready');
    expectIndexInStep(store);
    expect(names(store, 'below mark')).toEqual(['Below Mark']);
    expect(names(store, 'above mark')).toEqual(['Above Mark']);
    expect(names(store, 'at mark')).toEqual(['At Mark']);
    expect(names(store, 'past mark')).toEqual(['Past Mark']);
    expect(names(store, nameOf(99))).toEqual([]);
    expect(names(store, 'door guest')).toEqual(['Door Guest']);
    expect(names(store, nameOf(10))).toEqual([]);
    expect(names(store, nameOf(150))).toEqual([]);
    expect(names(store, nameOf(20))).toEqual([]);
    expect((walkIn.doc as Booking).attendee.name).toBe('Door Guest');
    expect(names(store, nameOf(30))).toEqual([nameOf(30)]);
  });

  it('stores the doc once and still replays pending mutations on the server version', () => {
    const store = open(path.join(tempDir(), 'gatehouse.db'));
    for (const next of serverPages(3, 10)) store.applyPullPage(next);
    const id = `${EVENT}-b1`;
    const stored = () =>
      store.db.prepare('SELECT server_doc IS NULL AS once, doc_is_server AS shared FROM bookings WHERE id = ?').get(id);
    expect(stored()).toEqual({ once: 1, shared: 1 });
    expect(JSON.parse(store.rows.get('bookings', id)!.server_doc!).attendee.name).toBe(nameOf(1));
    store.mutate('booking.cancel', { bookingId: id }, meta());
    // The server's version moved out of `doc` before the local effect replaced it.
    expect(stored()).toEqual({ once: 0, shared: 0 });
    expect(JSON.parse(store.rows.get('bookings', id)!.server_doc!).status).toBe('confirmed');
    const renamed = bookingDoc(EVENT, 1, { attendee: { name: 'Renamed On Server' } });
    store.applyPullPage(page([{ bucket: BUCKET, seq: 50, type: 'booking', id, rev: 2, doc: renamed }]));
    expect(store.rows.getDoc<Booking>('bookings', id)).toMatchObject({
      status: 'cancelled',
      attendee: { name: 'Renamed On Server' },
    });
    const [pending] = store.outbox.peek(1);
    store.applyPushResults([{ id: pending!.id, status: 'rejected', code: 'FORBIDDEN', message: 'no' }], null);
    expect(store.rows.getDoc<Booking>('bookings', id)).toMatchObject({ status: 'confirmed' });
  });

  it('slices a page into short transactions with the cursor in the last, never ahead of the rows', () => {
    const store = open(path.join(tempDir(), 'gatehouse.db'));
    const [whole] = serverPages(400, 1000);
    store.state.set('cursor', 'before');
    const changed = new (class {
      tables = new Set<string>();
      eventIds = new Set<string>();
      add(table: string, eventId: string) {
        this.tables.add(table);
        if (eventId) this.eventIds.add(eventId);
      }
      result() {
        return { tables: [...this.tables], eventIds: [...this.eventIds] };
      }
    })();
    // A deadline already passed: one row per slice.
    let next = store.applyPullSlice(whole!, 0, true, changed as never, 0);
    expect(next).toBe(1);
    expect(store.state.get('cursor')).toBe('before');
    expect(store.buckets()).toEqual([BUCKET]);
    next = store.applyPullSlice(whole!, next, true, changed as never, performance.now() + 60_000);
    expect(next).toBe(401);
    expect(store.state.get('cursor')).toBe(whole!.cursor);
    expect(count(store, 'SELECT count(*) AS n FROM bookings')).toBe(400);
    expect(changed.result()).toEqual({ tables: ['events', 'bookings'], eventIds: [EVENT] });
  });
});

describe('migration 004 on a database from before phases', () => {
  it('keeps its rows, their search index and their doubled docs readable, and marks it ready', () => {
    const file = path.join(tempDir(), 'gatehouse.db');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    migrate(old, MIGRATIONS.slice(0, 3));
    const insert = old.prepare(
      `INSERT INTO bookings (id, event_id, rev, server_doc, doc, code, name_lower, email_lower, status, created_at)
       VALUES (?, ?, 1, ?, ?, ?, ?, ?, 'confirmed', ?)`,
    );
    for (let i = 0; i < 30; i++) {
      const doc = bookingDoc(EVENT, i, { attendee: { name: nameOf(i), email: `guest${i}@example.test` } });
      const json = JSON.stringify(doc);
      insert.run(
        doc.id,
        EVENT,
        json,
        json,
        doc.code.toLowerCase(),
        nameOf(i).toLowerCase(),
        doc.attendee.email!,
        doc.createdAt,
      );
    }
    old.prepare('INSERT INTO sync_state (key, value) VALUES (?, ?)').run('cursor', 'old-cursor');
    old.close();

    const store = open(file);
    expect(store.db.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({
      v: MIGRATIONS.at(-1)!.version,
    });
    expect(store.phase()).toBe('ready');
    expect(store.searchIndex.complete()).toBe(true);
    expect(indexNames(store)).toEqual(['bookings_code', 'bookings_id', 'bookings_list']);
    expectIndexInStep(store);
    expect(names(store, 'turing')).toHaveLength(5);
    expect(JSON.parse(store.rows.get('bookings', `${EVENT}-b3`)!.server_doc!).attendee.name).toBe(nameOf(3));
    // A newer server version is stored once from now on, and the triggers index it.
    const renamed = bookingDoc(EVENT, 3, { attendee: { name: 'Radia Perlman' } });
    store.applyPullPage(page([{ bucket: BUCKET, seq: 99, type: 'booking', id: renamed.id, rev: 2, doc: renamed }]));
    expect(names(store, 'perlman')).toEqual(['Radia Perlman']);
    expectIndexInStep(store);
    // Not an initial sync: it has a cursor and rows.
    expect(store.beginInitialSync()).toBe(false);
  });
});

describe('migration 017 (bookings keyed by a unique index the initial sync drops)', () => {
  const triggerNames = (db: Database.Database) =>
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'bookings' ORDER BY name")
      .pluck()
      .all();
  const insertRows = (db: Database.Database, from: number, to: number) => {
    const insert = db.prepare(
      `INSERT INTO bookings (id, event_id, rev, doc, doc_is_server, code, name_lower, email_lower, status, created_at)
       VALUES (?, ?, 1, ?, 1, ?, ?, ?, 'confirmed', ?)`,
    );
    for (let i = from; i < to; i++) {
      const doc = bookingDoc(EVENT, i, { attendee: { name: nameOf(i), email: `guest${i}@example.test` } });
      insert.run(
        doc.id,
        EVENT,
        JSON.stringify(doc),
        doc.code.toLowerCase(),
        nameOf(i).toLowerCase(),
        doc.attendee.email!,
        doc.createdAt,
      );
    }
  };

  /** A database as the version before migration 017 left it, still open for the test to fill. */
  const databaseBefore017 = () => {
    const file = path.join(tempDir(), 'gatehouse.db');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    migrate(
      old,
      MIGRATIONS.filter((migration) => migration.version < 17),
    );
    return { file, old };
  };

  it('rebuilds the table with its rowids, indexes and triggers, keyed by bookings_id', () => {
    const { file, old } = databaseBefore017();
    insertRows(old, 0, 30);
    // A gap in the rowids, as deletions leave: the search index refers to rowids, so they must stay.
    old.prepare('DELETE FROM bookings WHERE id = ?').run(`${EVENT}-b5`);
    old.prepare('INSERT INTO sync_state (key, value) VALUES (?, ?)').run('cursor', 'old-cursor');
    const rowids = old.prepare('SELECT id, rowid FROM bookings ORDER BY id').all();
    const triggers = triggerNames(old);
    expect(triggers).toHaveLength(4);
    old.close();

    const store = open(file);
    expect(store.db.prepare('SELECT id, rowid FROM bookings ORDER BY id').all()).toEqual(rowids);
    expect(indexNames(store)).toEqual(['bookings_code', 'bookings_id', 'bookings_list']);
    expect(triggerNames(store.db)).toEqual(triggers);
    expect(() => store.db.prepare("INSERT INTO bookings (id, event_id) VALUES (?, 'x')").run(`${EVENT}-b3`)).toThrow(
      /UNIQUE/,
    );
    expectIndexInStep(store);
    expect(names(store, 'turing')).toHaveLength(5);
    // The triggers still work: a rename is searchable, an erasure is noted for the scrub.
    const renamed = bookingDoc(EVENT, 3, { attendee: { name: 'Radia Perlman' } });
    const erased = bookingDoc(EVENT, 4, { attendee: { name: 'Erased' }, erasedAt: new Date().toISOString() } as never);
    store.applyPullPage(
      page([
        { bucket: BUCKET, seq: 99, type: 'booking', id: renamed.id, rev: 2, doc: renamed },
        { bucket: BUCKET, seq: 100, type: 'booking', id: erased.id, rev: 2, doc: erased },
      ]),
    );
    expect(names(store, 'perlman')).toEqual(['Radia Perlman']);
    expect(store.db.prepare('SELECT booking_id FROM erasures_to_scrub').pluck().all()).toContain(erased.id);
    expect(count(store, 'SELECT count(*) AS n FROM bookings')).toBe(29);
  });

  it('leaves a database caught mid-initial-sync without its key, and the sync builds it when it catches up', () => {
    const { file, old } = databaseBefore017();
    old.exec('DROP INDEX bookings_code; DROP INDEX bookings_list; UPDATE search_index SET indexed_up_to = 0');
    old.prepare('INSERT INTO sync_state (key, value) VALUES (?, ?)').run('phase', 'syncing');
    old.prepare('INSERT INTO sync_state (key, value) VALUES (?, ?)').run('cursor', 'cursor-40');
    insertRows(old, 0, 39);
    old.close();

    const store = open(file);
    expect(store.phase()).toBe('syncing');
    expect(indexNames(store)).toEqual([]);
    expect(store.beginInitialSync()).toBe(true);
    for (const next of serverPages(120, 40).slice(1)) store.applyPullPage(next);
    expect(store.phase()).toBe('readyToScan');
    expect(indexNames(store)).toEqual(['bookings_code', 'bookings_id']);
    expect(count(store, 'SELECT count(*) AS n FROM bookings')).toBe(120);
    finishIndex(store);
    expect(indexNames(store)).toEqual(['bookings_code', 'bookings_id', 'bookings_list']);
    expect(names(store, nameOf(7).toLowerCase())).toEqual([nameOf(7)]);
    expectIndexInStep(store);
  });
});
