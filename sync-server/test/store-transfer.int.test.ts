import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventBucket } from '@gatehouse/protocol';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  compareStores,
  copyStore,
  freshProgress,
  hashRepository,
  keyOf,
  type MigrateProgress,
  type TransferSide,
} from '../../scripts/store-migrate';
import { openMongoStore, openMongoTransfer, type MongoTransfer } from '../src/store/mongodb/index';
import type { BookInput, DeriveAlerts, MutationWork, Store } from '../src/store/port';
import type { NewAlertRow, BookingRow, ComposedMailRow, EventRow, TicketKeyRow } from '../src/store/rows';
import { openSqliteStore, openSqliteTransfer, type SqliteTransfer } from '../src/store/sqlite/index';
import { REPOSITORY_NAMES, type RepositoryName, type TransferRows } from '../src/store/transfer';

/**
 * The whole-store copy (StoreTransfer) from the embedded store into MongoDB (the run's FerretDB):
 * every repository round-trips row for row, a repeated import is a no-op, walks resume after a
 * key, and the MongoDB store serves the copy — counters, seats and scans rebuilt.
 */

const AT = '2026-05-01T10:00:00.000Z';
const STARTS = '2026-06-01T18:00:00.000Z';
const ENDS = '2026-06-01T22:00:00.000Z';
const GENERAL = 'tt_general';
const NOW = Date.parse(AT);
const uid = (prefix: string) => `${prefix}-${randomUUID()}`;
const iso = (second: number) => new Date(NOW + second * 1000).toISOString();

/** Every repository the transfer types declare, spelled out: the compiler refuses a missing or extra key. */
const EVERY_TRANSFER_KEY: Record<keyof TransferRows, true> = {
  secrets: true,
  users: true,
  sessions: true,
  lockouts: true,
  devices: true,
  events: true,
  ticketKeys: true,
  bookings: true,
  idempotency: true,
  checkins: true,
  alerts: true,
  refusals: true,
  mutations: true,
  changes: true,
  mail: true,
  mailHandoffs: true,
  fanOuts: true,
  blobs: true,
};

function eventInput(overrides: Partial<EventRow>): Omit<EventRow, 'rev'> {
  return {
    id: uid('ev'),
    title: 'Spring Launch',
    description: 'The launch party — with ümlauts',
    venue: 'Hall One',
    startsAt: STARTS,
    endsAt: ENDS,
    startsAtMs: Date.parse(STARTS),
    endsAtMs: Date.parse(ENDS),
    timezone: 'Europe/Berlin',
    capacity: 100,
    status: 'published',
    ticketTypes: [{ id: GENERAL, name: 'General', price: 1500, quota: 100, requiresPhoto: true }],
    // Not the defaults: a transfer that dropped either field would read it back the other way.
    allowReentry: false,
    staffWalkIns: true,
    eraseAttendeesAfterDays: null,
    organizerId: 'organizer',
    staffIds: [],
    bookedCount: 0,
    typeSold: {},
    fieldHlc: {},
    createdAt: AT,
    updatedAt: AT,
    deletedAt: null,
    ...overrides,
  };
}

function keyInput(eventId: string, createdAt = AT): Omit<TicketKeyRow, 'rev'> {
  return {
    id: uid('key'),
    eventId,
    kid: `kid-${randomBytes(4).toString('hex')}`,
    publicKey: `PUBLIC-${randomBytes(4).toString('hex')}`,
    privateKey: 'PRIVATE',
    createdAt,
    retiredAt: null,
  };
}

function bookInput(
  eventId: string,
  second: number,
  overrides: Partial<BookInput> & { source?: 'online' | 'walkIn' } = {},
) {
  const code = `C${randomBytes(4).toString('hex').toUpperCase()}`;
  const input: BookInput = {
    booking: {
      id: uid('bk'),
      eventId,
      userId: 'attendee',
      ticketTypeId: GENERAL,
      quantity: 1,
      attendee: { name: `Guest ${second} Ørsted`, email: `guest${second}@example.org` },
      source: overrides.source ?? 'online',
      createdAt: iso(second),
    },
    limits: 'enforce',
    statuses: ['published'],
    codes: (attempt) => `${code}${attempt || ''}`,
    mail: ['bookingConfirmed'],
    ...overrides,
  };
  return input;
}

const deriveDuplicates: DeriveAlerts = (booking, scan, history) => {
  const ordered = [...history].sort((a, b) => (a.hlc < b.hlc ? -1 : a.hlc > b.hlc ? 1 : 0));
  const alerts: Array<NewAlertRow> = [];
  let admittedBy: string | null = null;
  for (const fact of ordered) {
    if (fact.direction === 'out') admittedBy = null;
    else if (admittedBy === null) admittedBy = fact.checkinId;
    else {
      alerts.push({
        id: `dup-${fact.checkinId}`,
        eventId: scan.eventId,
        kind: 'duplicateEntry',
        bookingId: booking.id,
        checkinId: fact.checkinId,
        firstCheckinId: admittedBy,
        message: `Ticket ${booking.id} entered again`,
        createdAt: AT,
      });
    }
  }
  return alerts;
};

function scanWork(eventId: string, bookingId: string, hlc: string, direction: 'in' | 'out' = 'in'): MutationWork {
  const id = uid('scan');
  return {
    claim: { id: uid('mut'), userId: 'staff', deviceId: 'device-1', name: 'checkin.record', argsHash: `h-${id}`, hlc },
    apply: {
      kind: 'recordCheckIn',
      row: {
        id,
        eventId,
        bookingId,
        gate: 'North',
        direction,
        scannedAt: AT,
        deviceId: 'device-1',
        staffId: 'staff',
        hlc,
        receivedAt: new Date(NOW + Number(hlc.slice(0, 4)) * 1000).toISOString(),
      },
      deriveAlerts: deriveDuplicates,
    },
  };
}

/** An undo of `checkinId` (protocol version 2): a void row that must travel like any scan. */
function voidWork(eventId: string, bookingId: string, checkinId: string, hlc: string): MutationWork {
  const work = scanWork(eventId, bookingId, hlc);
  if (work.apply.kind !== 'recordCheckIn') throw new Error('unreachable');
  return { ...work, apply: { ...work.apply, row: { ...work.apply.row, direction: 'void', voids: checkinId } } };
}

function message(id: string, eventId: string): ComposedMailRow {
  return {
    id,
    kind: 'bookingConfirmed',
    to: 'guest@example.org',
    toName: 'Guest',
    subject: 'Your ticket',
    html: '<p>Ticket</p>',
    text: 'Ticket',
    ics: null,
    qrToken: null,
    eventId,
    bookingId: null,
  };
}

type Fixture = {
  full: EventRow;
  /** Two seats of the full room's capacity of 2. */
  pair: BookingRow;
  open: EventRow;
  scanned: BookingRow;
  cancelled: BookingRow;
};

/** A store with rows in every repository, through the port as the server writes them. */
async function populate(store: Store): Promise<Fixture> {
  await store.secrets.ensure('jwt', randomBytes(48).toString('base64url'));
  await store.secrets.ensure('other', 'second secret');
  for (const [index, role] of (['admin', 'organizer', 'staff', 'attendee'] as const).entries()) {
    await store.users.create({
      id: role,
      email: `${role}@example.org`,
      name: `The ${role} ✓`,
      role,
      passwordHash: `scrypt$${randomBytes(8).toString('hex')}`,
      at: iso(index),
    });
  }
  await store.users.update('attendee', { name: 'Renamed attendee' }, iso(9));

  // Sessions: one family rotated once, one revoked.
  const token = (hash: string, familyId: string) => ({
    hash,
    familyId,
    userId: 'staff',
    deviceId: 'device-1',
    createdAtMs: NOW,
    expiresAtMs: NOW + 30 * 86_400_000 + 10 * 365 * 86_400_000,
    rotatedAtMs: null,
    revokedAtMs: null,
  });
  await store.sessions.insert(token('hash-a1', 'family-a'));
  const rotated = await store.sessions.rotate('hash-a1', NOW + 1000, (previous) => ({
    ...token('hash-a2', previous.familyId),
    createdAtMs: NOW + 1000,
  }));
  expect(rotated.kind).toBe('rotated');
  await store.sessions.insert(token('hash-b1', 'family-b'));
  await store.sessions.revokeFamily('family-b', NOW + 2000);

  await store.lockouts.recordFailure('account:staff@example.org', NOW);
  await store.lockouts.recordFailure('account:staff@example.org', NOW + 1);
  await store.lockouts.lock('pair:staff@example.org:127.0.0.1', NOW + 10 * 365 * 86_400_000);

  await store.devices.touch({
    deviceId: 'device-1',
    userId: 'staff',
    at: iso(10),
    clockOffsetMs: -42,
    sessionId: 's-1',
  });
  await store.devices.touch({ deviceId: 'device-2', userId: 'staff', at: iso(11) });
  expect(await store.devices.revoke('device-2', {}, iso(12))).not.toBeNull();

  const openInput = eventInput({ staffIds: ['staff'], organizerId: 'organizer' });
  const open = await store.events.insert(openInput, keyInput(openInput.id));
  await store.ticketKeys.insert(keyInput(open.id, iso(20)));
  const fullInput = eventInput({
    capacity: 2,
    ticketTypes: [{ id: GENERAL, name: 'General', price: 0, quota: 2 }],
    title: 'Small room',
  });
  const full = await store.events.insert(fullInput, keyInput(fullInput.id));

  const scanned = (await store.bookings.book(bookInput(open.id, 30))).row;
  await store.bookings.book(bookInput(open.id, 31));
  const toCancel = (await store.bookings.book(bookInput(open.id, 32))).row;
  const cancelled = (await store.bookings.cancel(toCancel.id, iso(33), () => ['bookingCancelled']))!.row;
  const pair = (
    await store.bookings.book(bookInput(full.id, 34, { booking: { ...bookInput(full.id, 34).booking, quantity: 2 } }))
  ).row;
  const walkIn = await store.bookings.book(
    bookInput(full.id, 35, {
      source: 'walkIn',
      limits: 'flag',
      statuses: ['published', 'draft'],
      mail: [],
      overCapacityAlert: (row) => ({
        id: `overcap-${row.id}`,
        eventId: row.eventId,
        kind: 'overCapacity',
        bookingId: row.id,
        checkinId: null,
        firstCheckinId: null,
        message: 'Accepted over capacity',
        createdAt: AT,
      }),
    }),
  );
  expect(walkIn.row.overCapacity).toBe(true);

  // Two entries without an exit: a duplicate-entry alert; a third mutation rejected before the store.
  const secondScan = scanWork(open.id, scanned.id, '0041-0000-a');
  const secondId = secondScan.apply.kind === 'recordCheckIn' ? secondScan.apply.row.id : '';
  const results = await store.mutations.applyBatch([
    scanWork(open.id, scanned.id, '0040-0000-a'),
    secondScan,
    // The second entry undone: a void row, carried by every transfer and rebuilt into the scans.
    voidWork(open.id, scanned.id, secondId, '0042-0000-a'),
    {
      claim: { id: uid('mut'), userId: 'staff', deviceId: 'device-1', name: 'checkin.record', argsHash: 'x', hlc: '1' },
      apply: { kind: 'reject', result: { status: 'rejected', code: 'FORBIDDEN', message: 'not staff here' } },
    },
  ]);
  expect(results.map((result) => result.status)).toEqual(['applied', 'applied', 'applied', 'rejected']);
  // A refused scan at the door: a repository of its own, copied like the rest.
  await store.refusals.record({
    id: uid('refusal'),
    eventId: open.id,
    gate: 'North',
    direction: 'in',
    reason: 'wrongEvent',
    bookingId: 'elsewhere-1',
    ticketEventId: 'elsewhere',
    scannedAt: AT,
    deviceId: 'device-1',
    staffId: 'staff',
    hlc: '0043-0000-a',
    receivedAt: iso(43),
  });

  await store.events.update(open.id, () => ({
    set: { venue: 'Hall Two', updatedAt: iso(50) },
    mail: ['eventChanged:x'],
  }));
  await store.mail.enqueue(
    ['mail-1', 'mail-2', 'mail-3', 'mail-4'].map((id) => message(id, open.id)),
    (id) => `<${id}@gatehouse.test>`,
    NOW,
  );
  const first = (await store.mail.claim('worker', 60_000, NOW + 1))!;
  await store.mail.markSent(first.id, first.claimSeq, NOW + 2);
  const second = (await store.mail.claim('worker', 60_000, NOW + 3))!;
  await store.mail.markDead(second.id, second.claimSeq, 'mailbox unavailable');
  await store.mail.claim('worker', 60_000, NOW + 4);
  await store.mail.markFanOutDone(`${open.id}:eventChanged:2`, NOW + 5);
  await store.idempotency.claim('attendee:key-0001', 'request-hash', scanned.id, NOW);
  // One answered, one still running: both kinds of claim travel.
  await store.idempotency.claim('organizer:key-0002', 'other-hash', open.id, NOW);
  await store.idempotency.complete('organizer:key-0002', open.id, {
    status: 201,
    body: JSON.stringify({ id: open.id }),
  });
  // Photos: one of several chunks on MongoDB (over 255 kB), one replaced (only the last travels), one small.
  const large = randomBytes(300 * 1024);
  const profile = await store.blobs.put({ id: 'user:attendee', contentType: 'image/webp', bytes: large, at: iso(60) });
  await store.users.update('attendee', { photoId: profile.sha256 }, iso(60));
  await store.blobs.put({
    id: `booking:${scanned.id}`,
    contentType: 'image/webp',
    bytes: randomBytes(10),
    at: iso(61),
  });
  const photo = await store.blobs.put({
    id: `booking:${scanned.id}`,
    contentType: 'image/webp',
    bytes: randomBytes(2000),
    at: iso(62),
  });
  await store.bookings.setPhoto(scanned.id, photo.sha256);
  return { full, pair, open, scanned, cancelled };
}

const FRESH_DB = () => `transfer_${randomBytes(6).toString('hex')}`;

/** Every document of every collection, by `_id`: what "changes nothing" is checked against. */
async function snapshot(uri: string, dbName: string): Promise<Record<string, unknown[]>> {
  const client = new MongoClient(uri);
  await client.connect();
  try {
    const db = client.db(dbName);
    const out: Record<string, unknown[]> = {};
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      out[name] = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
    }
    return out;
  } finally {
    await client.close();
  }
}

async function dropDatabase(uri: string, dbName: string): Promise<void> {
  const client = new MongoClient(uri);
  await client.connect();
  await client.db(dbName).dropDatabase();
  await client.close();
}

function progressFor(): { progress: MigrateProgress; save: (progress: MigrateProgress) => void } {
  return { progress: freshProgress('source', 'target'), save: () => undefined };
}

describe('store transfer: SQLite → MongoDB', () => {
  const uri = inject('mongoUri');
  const dbName = FRESH_DB();
  const databases = [dbName];
  let directory: string;
  let fixture: Fixture;
  let source: SqliteTransfer;
  let target: MongoTransfer;
  const finishLines: string[] = [];

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'gatehouse-transfer-'));
    const file = path.join(directory, 'gatehouse.db');
    const store = await openSqliteStore({ file });
    fixture = await populate(store);
    await store.close();
    source = openSqliteTransfer({ file });
    target = await openMongoTransfer({ uri, dbName, log: (line) => finishLines.push(line) });
  });

  afterAll(async () => {
    await target?.close();
    await source?.close();
    for (const name of databases) await dropDatabase(uri, name).catch(() => undefined);
    rmSync(directory, { recursive: true, force: true });
  });

  it('both adapters cover every repository the port declares', () => {
    expect([...REPOSITORY_NAMES].sort()).toEqual(Object.keys(EVERY_TRANSFER_KEY).sort());
    expect(new Set(REPOSITORY_NAMES).size).toBe(REPOSITORY_NAMES.length);
    expect([...source.repositories].sort()).toEqual([...REPOSITORY_NAMES].sort());
    expect([...target.repositories].sort()).toEqual([...REPOSITORY_NAMES].sort());
  });

  it('a store without an exporter for one repository makes the migration fail before it copies', async () => {
    const lacking: TransferSide = {
      ...source,
      exportRows: source.exportRows,
      importRows: source.importRows,
      finishImport: source.finishImport,
      repositories: source.repositories.filter((name) => name !== 'fanOuts'),
    };
    const { progress, save } = progressFor();
    await expect(copyStore(lacking, target, progress, { save })).rejects.toThrow(/no exporter.*fanOuts/);
    expect(await target.isEmpty()).toBe(true);
  });

  it('copies every repository row for row: equal hashes, every repository holds rows', async () => {
    const { progress, save } = progressFor();
    // Small batches: every repository is walked over several pages.
    const report = await copyStore(source, target, progress, { batch: 2, save });
    expect(progress.finished).toBe(true);
    const comparisons = await compareStores(source, target, 3);
    for (const comparison of comparisons) {
      expect(comparison, comparison.repository).toMatchObject({ equal: true, firstDifference: null });
      expect(comparison.source.rows, `${comparison.repository} has rows in the fixture`).toBeGreaterThan(0);
    }
    expect(report.rows).toBe(comparisons.reduce((sum, comparison) => sum + comparison.source.rows, 0));
    // Fields a shared omission would hide from the hash comparison: the photo ids arrived.
    const bookings = await target.exportRows('bookings', null, 1_000);
    expect(bookings.find((row) => row.id === fixture.scanned.id)?.photoId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const users = await target.exportRows('users', null, 1_000);
    expect(users.find((row) => row.id === 'attendee')?.photoId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const blobs = await target.exportRows('blobs', null, 1_000);
    expect(blobs.map((row) => [row.id, Buffer.from(row.dataBase64, 'base64').byteLength])).toEqual([
      [`booking:${fixture.scanned.id}`, 2000],
      ['user:attendee', 300 * 1024],
    ]);
    expect(finishLines.join('\n')).toMatch(/bucket counters/);
  });

  it('a second import of everything changes nothing in the target', async () => {
    const before = await snapshot(uri, dbName);
    const { progress, save } = progressFor();
    await copyStore(source, target, progress, { batch: 5, save });
    const after = await snapshot(uri, dbName);
    expect(after).toEqual(before);
    // The side collections exist and hold what finishImport built.
    expect(before.buckets!.length).toBeGreaterThan(0);
    // A slot per seat per scope (type, all): two single seats in the open event, 2 + 1 in the full room.
    expect(before.seats!.length).toBe((1 + 1 + 2 + 1) * 2);
    expect(before.checkinSlots!.length).toBe(3); // two entries and the void of the second
  });

  it('exportRows resumes after a key, on both adapters, for every repository', async () => {
    for (const side of [source, target]) {
      for (const repository of REPOSITORY_NAMES) {
        const all = await side.exportRows(repository, null, 1_000);
        const keys = all.map((row) => keyOf(repository as RepositoryName, row as never));
        expect([...keys].sort(), `${repository} in key order`).toEqual(keys);
        for (let index = 0; index < all.length; index++) {
          const resumed = await side.exportRows(repository, keys[index]!, 1_000);
          expect(resumed, `${repository} after ${keys[index]}`).toEqual(all.slice(index + 1));
        }
        const paged = await side.exportRows(repository, keys[0] ?? null, 1);
        expect(paged).toEqual(all.slice(1, 2));
      }
    }
    // A key between rows resumes at the next row.
    const changes = await source.exportRows('changes', null, 1_000);
    const bucket = eventBucket(fixture.open.id);
    const between = `${bucket}\u0000${String(2).padStart(16, '0')}`;
    const expected = changes.filter((row) => row.bucket > bucket || (row.bucket === bucket && row.seq > 2));
    expect(await target.exportRows('changes', between, 1_000)).toEqual(expected);
  });

  it('hashes depend on every row: one changed field changes its repository hash', async () => {
    const before = await hashRepository(target, 'devices');
    const [device] = await target.exportRows('devices', null, 1);
    await target.importRows('devices', [{ ...device!, clockOffsetMs: 99 }]);
    const changed = await hashRepository(target, 'devices');
    expect(changed.rows).toBe(before.rows);
    expect(changed.sha256).not.toBe(before.sha256);
    await target.importRows('devices', [device!]);
    expect(await hashRepository(target, 'devices')).toEqual(before);
  });

  it('the MongoDB store serves the copy: seqs continue, no seat is oversold, a repeated scan is a duplicate', async () => {
    const sourceChanges = await source.exportRows('changes', null, 10_000);
    const heads = new Map<string, number>();
    for (const change of sourceChanges) heads.set(change.bucket, Math.max(heads.get(change.bucket) ?? 0, change.seq));
    const store = await openMongoStore({ uri, dbName });
    try {
      expect(await store.changes.heads([...heads.keys()])).toEqual(heads);
      const bucket = eventBucket(fixture.open.id);
      const head = heads.get(bucket)!;

      // The full room: capacity 2, two seats booked online and a walk-in over capacity.
      await expect(store.bookings.book(bookInput(fixture.full.id, 60))).rejects.toMatchObject({ code: 'SOLD_OUT' });
      expect((await store.events.findById(fixture.full.id))!.bookedCount).toBe(3);

      // The open event: a new booking takes the next seq of its bucket.
      const added = await store.bookings.book(bookInput(fixture.open.id, 61));
      const next = await store.changes.read(bucket, head, 10);
      expect(next.changes[0]).toMatchObject({ seq: head + 1, type: 'booking', id: added.row.id });

      // The scanned ticket, in again without an exit: a duplicate of the imported entry.
      const again = scanWork(fixture.open.id, fixture.scanned.id, '0070-0000-a');
      const [result] = await store.mutations.applyBatch([again]);
      expect(result).toEqual({ status: 'applied' });
      const againId = again.apply.kind === 'recordCheckIn' ? again.apply.row.id : '';
      const alerts = await store.alerts.listForEvent(fixture.open.id, 100);
      expect(alerts.find((alert) => alert.id === `dup-${againId}`)).toMatchObject({ kind: 'duplicateEntry' });

      // A cancelled booking's seats were not rebuilt: cancelling it again changes nothing.
      expect(await store.bookings.cancel(fixture.cancelled.id, iso(70), () => [])).toMatchObject({ changed: false });
    } finally {
      await store.close();
    }
  });

  it('seats freed by a cancellation after the move are the seats the source had left', async () => {
    const store = await openMongoStore({ uri, dbName });
    try {
      // Capacity 2: the pair is cancelled; the walk-in accepted over capacity still holds its seat,
      // so one seat is free (as the source counts it), not two.
      expect(await store.bookings.cancel(fixture.pair.id, iso(80), () => [])).toMatchObject({ changed: true });
      await store.bookings.book(bookInput(fixture.full.id, 81));
      await expect(store.bookings.book(bookInput(fixture.full.id, 82))).rejects.toMatchObject({ code: 'SOLD_OUT' });
      expect((await store.events.findById(fixture.full.id))!.bookedCount).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('the copy comes back: MongoDB → SQLite holds the same rows, and the SQLite store serves them', async () => {
    const back = path.join(directory, 'back', 'gatehouse.db');
    const copy = openSqliteTransfer({ file: back });
    try {
      const { progress, save } = progressFor();
      await copyStore(target, copy, progress, { batch: 4, save });
      for (const comparison of await compareStores(target, copy)) {
        if (comparison.repository === 'mutations') continue;
        expect(comparison, comparison.repository).toMatchObject({ equal: true });
      }
      // SQLite keeps one instant per mutation (claimed and applied in one transaction): MongoDB's
      // claim time of a mutation it applied itself does not survive the way back.
      const withoutClaim = (rows: Array<TransferRows['mutations']>) =>
        rows.map(({ claimedAtMs: _claimed, ...rest }) => rest);
      expect(withoutClaim(await copy.exportRows('mutations', null, 1_000))).toEqual(
        withoutClaim(await target.exportRows('mutations', null, 1_000)),
      );
    } finally {
      await copy.close();
    }
    const heads = new Map<string, number>();
    for (const change of await target.exportRows('changes', null, 10_000)) {
      heads.set(change.bucket, Math.max(heads.get(change.bucket) ?? 0, change.seq));
    }
    const store = await openSqliteStore({ file: back });
    try {
      expect(await store.changes.heads([...heads.keys()])).toEqual(heads);
      // Search words and staff rows were built with the rows.
      const found = await store.bookings.listForEvent(fixture.open.id, { words: ['ørst', 'guest'] }, undefined, 50);
      expect(found.map((row) => row.id)).toContain(fixture.scanned.id);
      expect(await store.events.accessibleIds({ id: 'staff', role: 'staff' })).toEqual([fixture.open.id]);
      // The full room is full here too, and the log goes on after the imported seqs.
      await expect(store.bookings.book(bookInput(fixture.full.id, 90))).rejects.toMatchObject({ code: 'SOLD_OUT' });
      const bucket = eventBucket(fixture.open.id);
      const added = await store.bookings.book(bookInput(fixture.open.id, 91));
      const next = await store.changes.read(bucket, heads.get(bucket)!, 10);
      expect(next.changes[0]).toMatchObject({ seq: heads.get(bucket)! + 1, id: added.row.id });
    } finally {
      await store.close();
    }
  });

  it('where updates are isolated (MongoDB), a booking gets its scans on its document instead of slots', async () => {
    const isolatedDb = FRESH_DB();
    databases.push(isolatedDb);
    const isolated = await openMongoTransfer({ uri, dbName: isolatedDb, capabilities: { isolatedUpdates: true } });
    try {
      const { progress, save } = progressFor();
      await copyStore(source, isolated, progress, { save });
      expect((await compareStores(source, isolated)).every((comparison) => comparison.equal)).toBe(true);
      const copy = await snapshot(uri, isolatedDb);
      const booking = copy.bookings!.find((doc) => (doc as { _id: string })._id === fixture.scanned.id) as {
        scans: Array<{ checkinId: string; hlc: string; direction: string; voids?: string }>;
      };
      expect(booking.scans.map((scan) => [scan.hlc, scan.direction])).toEqual([
        ['0040-0000-a', 'in'],
        ['0041-0000-a', 'in'],
        ['0042-0000-a', 'void'],
      ]);
      // The void keeps the admission it undoes, or the rules would count that entry as a duplicate.
      expect(booking.scans[2]!.voids).toBe(booking.scans[1]!.checkinId);
      expect(copy.checkinSlots ?? []).toHaveLength(0);
    } finally {
      await isolated.close();
    }
  });
});
