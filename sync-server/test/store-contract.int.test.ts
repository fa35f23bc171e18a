import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventBucket, GatehouseError, userBucket } from '@gatehouse/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  BookInput,
  CommittedChange,
  DeriveAlerts,
  ImportRowInput,
  MutationClaim,
  MutationWork,
  StoreOp,
  NewBooking,
  Store,
} from '../src/store/port';
import type {
  NewAlertRow,
  BookingRow,
  ChangeRow,
  ComposedMailRow,
  EventRow,
  RefreshTokenRow,
  RefusalRow,
  StoredResult,
  TicketKeyRow,
} from '../src/store/rows';
import { TOUCH_INTERVAL_MS, TOUCH_OFFSET_SLACK_MS } from '../src/store/device-touch';
import { searchTermsOf } from '../src/store/search-words';
import { openSqliteStore } from '../src/store/sqlite/index';
import { migration001 } from '../src/store/sqlite/migrations/001-initial';
import { migration008 } from '../src/store/sqlite/migrations/008-staff-walk-ins';
import { LATEST_SCHEMA_VERSION } from '../src/store/sqlite/migrations/index';
import { toBooking, toEvent } from '../src/store/wire';
import { STORE_ADAPTERS } from './store-adapters';

// ─── fixtures ────────────────────────────────────────────────────────────────────────────────────

const AT = '2026-05-01T10:00:00.000Z';
const STARTS = '2026-06-01T18:00:00.000Z';
const ENDS = '2026-06-01T22:00:00.000Z';
const GENERAL = 'tt_general';
const VIP = 'tt_vip';

const uid = (prefix: string) => `${prefix}-${randomUUID()}`;
/** ISO instants one second apart, so rows created in a loop sort in creation order. */
const isoAt = (second: number) => new Date(Date.parse(AT) + second * 1000).toISOString();

function eventInput(overrides: Partial<EventRow> = {}): Omit<EventRow, 'rev'> {
  return {
    id: uid('ev'),
    title: 'Spring Launch',
    description: 'The launch party of the season',
    venue: 'Hall One',
    startsAt: STARTS,
    endsAt: ENDS,
    startsAtMs: Date.parse(STARTS),
    endsAtMs: Date.parse(ENDS),
    timezone: 'Europe/Berlin',
    capacity: 100,
    status: 'published',
    ticketTypes: [
      { id: GENERAL, name: 'General', price: 0, quota: 100 },
      { id: VIP, name: 'VIP', price: 5000, quota: 10 },
    ],
    allowReentry: true,
    staffWalkIns: false,
    eraseAttendeesAfterDays: null,
    organizerId: 'organizer-1',
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
    kid: `kid-${randomBytes(3).toString('hex')}`,
    publicKey: 'PUBLIC',
    privateKey: 'PRIVATE-never-logged',
    createdAt,
    retiredAt: null,
  };
}

async function createEvent(store: Store, overrides: Partial<EventRow> = {}): Promise<EventRow> {
  const input = eventInput(overrides);
  return store.events.insert(input, keyInput(input.id));
}

type BookOptions = Partial<NewBooking> & Partial<Omit<BookInput, 'booking'>> & { code?: string };

function bookInput(event: { id: string }, options: BookOptions = {}): BookInput {
  const id = options.id ?? uid('bk');
  const code = options.code ?? `C${randomBytes(4).toString('hex').toUpperCase()}`;
  return {
    booking: {
      id,
      eventId: options.eventId ?? event.id,
      userId: options.userId ?? 'attendee-1',
      ticketTypeId: options.ticketTypeId ?? GENERAL,
      quantity: options.quantity ?? 1,
      attendee: options.attendee ?? { name: 'Ada Lovelace', email: 'ada@example.org' },
      source: options.source ?? 'online',
      createdAt: options.createdAt ?? AT,
    },
    limits: options.limits ?? 'enforce',
    statuses: options.statuses ?? ['published'],
    codes: options.codes ?? ((attempt) => (attempt === 0 ? code : `${code}-${attempt}`)),
    mail: options.mail ?? ['bookingConfirmed'],
    ...(options.overCapacityAlert ? { overCapacityAlert: options.overCapacityAlert } : {}),
  };
}

function overCapacityAlert(row: BookingRow): NewAlertRow {
  return {
    id: `overcap-${row.id}`,
    eventId: row.eventId,
    kind: 'overCapacity',
    bookingId: row.id,
    checkinId: null,
    firstCheckinId: null,
    message: `Booking ${row.id} was accepted over capacity`,
    createdAt: AT,
  };
}

/** Duplicate entries by HLC order: an `in` while already inside raises `dup-<checkinId>`. */
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

const noAlerts: DeriveAlerts = () => [];

function scan(
  booking: { id: string; eventId: string },
  options: { id?: string; direction?: 'in' | 'out'; gate?: string; hlc?: string; staffId?: string } = {},
) {
  return {
    id: options.id ?? uid('ci'),
    eventId: booking.eventId,
    bookingId: booking.id,
    gate: options.gate ?? 'north',
    direction: options.direction ?? 'in',
    scannedAt: AT,
    deviceId: 'device-1',
    staffId: options.staffId ?? 'staff-1',
    hlc: options.hlc ?? `${Date.now().toString().padStart(15, '0')}-0000-dev`,
    receivedAt: AT,
  };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

/** The GatehouseError a call fails with, asserting its code. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<GatehouseError> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(GatehouseError);
  expect((error as GatehouseError).code).toBe(code);
  return error as GatehouseError;
}

/** Every change of a bucket, read a page of `pageSize` at a time. */
/** A ledger claim for store-level tests: the id doubles as the args hash. */
function ledgerClaim(id: string): MutationClaim {
  return { id, userId: 'u', deviceId: 'd', name: 'n', argsHash: id, hlc: '1' };
}

/** An op that fails unexpectedly (a bug, not a rejection): TypeError 'a bug'. */
function failingEdit(eventId: string): StoreOp {
  return {
    kind: 'updateEvent',
    eventId,
    hlc: 'bug',
    edit: () => {
      throw new TypeError('a bug');
    },
  };
}

async function allChanges(store: Store, bucket: string, pageSize = 500): Promise<ChangeRow[]> {
  const changes: ChangeRow[] = [];
  let from = 0;
  for (;;) {
    const page = await store.changes.read(bucket, from, pageSize);
    changes.push(...page.changes);
    if (page.upTo === from) return changes;
    from = page.upTo;
  }
}

async function head(store: Store, bucket: string): Promise<number> {
  return (await store.changes.heads([bucket])).get(bucket) ?? -1;
}

function mailMessage(id: string, overrides: Partial<ComposedMailRow> = {}): ComposedMailRow {
  return {
    id,
    kind: 'bookingConfirmed',
    to: 'ada@example.org',
    toName: 'Ada',
    subject: 'Your booking',
    html: '<p>Hello</p>',
    text: 'Hello',
    ics: null,
    qrToken: null,
    eventId: 'ev-mail',
    bookingId: null,
    ...overrides,
  };
}

const messageIdOf = (id: string) => `<${id}@gatehouse.test>`;

function tokenRow(overrides: Partial<RefreshTokenRow> = {}): RefreshTokenRow {
  return {
    hash: uid('hash'),
    familyId: uid('family'),
    userId: 'user-1',
    deviceId: 'device-1',
    createdAtMs: 1_000,
    expiresAtMs: 1_000_000,
    rotatedAtMs: null,
    revokedAtMs: null,
    ...overrides,
  };
}

// ─── the contract, on every adapter ─────────────────────────────────────────────────────────────

describe.each(STORE_ADAPTERS)('store contract on $name', (adapter) => {
  let store: Store;
  beforeEach(async () => {
    store = await adapter.open();
  });
  afterEach(async () => {
    await store.close();
  });

  describe('change log', () => {
    it('allocates gap-free seqs per bucket across interleaved writers, and reads them in pages', async () => {
      const first = await createEvent(store);
      const second = await createEvent(store);
      for (let i = 0; i < 5; i++) {
        await store.bookings.book(bookInput(first));
        await store.bookings.book(bookInput(second));
      }
      for (const event of [first, second]) {
        const bucket = eventBucket(event.id);
        // event + key, then per booking: the booking and the event's new counts.
        const expected = 2 + 5 * 2;
        expect(await head(store, bucket)).toBe(expected);
        const paged = await allChanges(store, bucket, 3);
        expect(paged.map((change) => change.seq)).toEqual(Array.from({ length: expected }, (_v, i) => i + 1));
        expect(paged.every((change) => change.bucket === bucket)).toBe(true);
        const page = await store.changes.read(bucket, 4, 3);
        expect(page.changes.map((change) => change.seq)).toEqual([5, 6, 7]);
        expect(page.upTo).toBe(7);
        const end = await store.changes.read(bucket, expected, 10);
        expect(end).toEqual({ changes: [], upTo: expected });
      }
      const heads = await store.changes.heads([eventBucket(first.id), 'event:none']);
      expect(heads.get(eventBucket(first.id))).toBe(12);
      expect(heads.get('event:none')).toBe(0);
      expect(await store.changes.read('event:none', 0, 10)).toEqual({ changes: [], upTo: 0 });
    });

    it('logs each row version with its rev and its wire doc (private keys never)', async () => {
      const event = await createEvent(store);
      const { row } = await store.bookings.book(bookInput(event));
      const changes = await allChanges(store, eventBucket(event.id));
      expect(changes.map((change) => [change.type, change.rev])).toEqual([
        ['event', 1],
        ['ticketKey', 1],
        ['booking', 1],
        ['event', 2],
      ]);
      expect(changes[2]!.doc).toEqual(toBooking(row));
      expect(changes[2]!.id).toBe(row.id);
      expect(JSON.stringify(changes[1]!.doc)).not.toContain('PRIVATE');
      expect(changes[3]!.doc).toEqual(toEvent((await store.events.findById(event.id))!));
    });

    it('calls watch listeners only after the change is readable, and not for failed writes', async () => {
      const event = await createEvent(store, { capacity: 1 });
      const heard: CommittedChange[] = [];
      const readable: Array<Promise<boolean>> = [];
      const unsubscribe = store.changes.watch((change) => {
        heard.push(change);
        readable.push(
          store.changes
            .read(change.bucket, change.seq - 1, 1)
            .then((page) => page.changes.length === 1 && page.changes[0]!.seq === change.seq),
        );
      });
      await store.bookings.book(bookInput(event));
      await expect.poll(() => heard.length).toBeGreaterThan(0);
      const bucket = eventBucket(event.id);
      expect(heard.every((change) => change.bucket === bucket)).toBe(true);
      expect(Math.max(...heard.map((change) => change.seq))).toBe(await head(store, bucket));
      expect(await Promise.all(readable)).toEqual(readable.map(() => true));

      const before = heard.length;
      await rejectsWith(store.bookings.book(bookInput(event)), 'SOLD_OUT');
      unsubscribe();
      await store.bookings.cancel((await store.bookings.listForEvent(event.id, {}, undefined, 1))[0]!.id, AT, () => []);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(heard.length).toBe(before);
    });
  });

  describe('users', () => {
    it('keeps emails unique and publishes each version to the user bucket', async () => {
      const user = await store.users.create({
        id: 'user-ada',
        email: 'ada@example.org',
        name: 'Ada',
        role: 'organizer',
        passwordHash: 'hash',
        at: AT,
      });
      expect(user).toMatchObject({ rev: 1, disabled: false, createdAt: AT, updatedAt: AT });
      await rejectsWith(
        store.users.create({
          id: 'user-other',
          email: 'ada@example.org',
          name: 'X',
          role: 'staff',
          passwordHash: 'h',
          at: AT,
        }),
        'EMAIL_TAKEN',
      );
      expect(await store.users.findById('user-other')).toBeNull();

      const updated = await store.users.update('user-ada', { name: 'Ada L.', disabled: true }, isoAt(5));
      expect(updated).toMatchObject({ rev: 2, name: 'Ada L.', disabled: true, updatedAt: isoAt(5), role: 'organizer' });
      expect(await store.users.update('user-missing', { name: 'x' }, AT)).toBeNull();
      await store.users.publish('user-ada');
      const changes = await allChanges(store, userBucket('user-ada'));
      expect(changes.map((change) => [change.seq, change.rev])).toEqual([
        [1, 1],
        [2, 2],
        [3, 2],
      ]);
      expect(changes[2]!.doc).toMatchObject({ name: 'Ada L.', disabled: true });
      expect(JSON.stringify(changes)).not.toContain('hash');
      expect((await store.users.findByEmail('ada@example.org'))?.id).toBe('user-ada');
    });

    it('lists by (createdAt, id) with q and role filters, pages with after, and finds staff candidates', async () => {
      const people = [
        { name: 'Zoë Ångström', email: 'zoe@example.org', role: 'staff' as const },
        { name: 'Bob Stone', email: 'bob@sample.net', role: 'organizer' as const },
        { name: 'Cleo Stone', email: 'cleo@example.org', role: 'staff' as const },
        { name: 'Dan Admin', email: 'dan@example.org', role: 'admin' as const },
        { name: 'Eve Attendee', email: 'eve@example.org', role: 'attendee' as const },
      ];
      for (const [index, person] of people.entries()) {
        await store.users.create({ id: `u${index}`, ...person, passwordHash: 'h', at: isoAt(index) });
      }
      const firstPage = await store.users.list({}, undefined, 2);
      expect(firstPage.map((user) => user.id)).toEqual(['u0', 'u1', 'u2']);
      const next = await store.users.list({}, { value: firstPage[1]!.createdAt, id: firstPage[1]!.id }, 2);
      expect(next.map((user) => user.id)).toEqual(['u2', 'u3', 'u4']);
      expect((await store.users.list({ q: 'STONE' }, undefined, 10)).map((user) => user.id)).toEqual(['u1', 'u2']);
      expect((await store.users.list({ q: 'ångst' }, undefined, 10)).map((user) => user.id)).toEqual(['u0']);
      expect((await store.users.list({ q: 'sample.NET' }, undefined, 10)).map((user) => user.id)).toEqual(['u1']);
      // Folded as search words are: accents and case ("ë" as "e", "Å" as "a").
      expect((await store.users.list({ q: 'zoe angstrom' }, undefined, 10)).map((user) => user.id)).toEqual(['u0']);
      expect((await store.users.list({ q: 'ZOË ÅNG' }, undefined, 10)).map((user) => user.id)).toEqual(['u0']);
      expect((await store.users.list({ q: 'zoey' }, undefined, 10)).map((user) => user.id)).toEqual([]);
      expect((await store.users.list({ role: 'staff' }, undefined, 10)).map((user) => user.id)).toEqual(['u0', 'u2']);
      expect((await store.users.findByIds(['u4', 'u1', 'nope'])).map((user) => user.id).sort()).toEqual(['u1', 'u4']);
      expect(await store.users.findByIds([])).toEqual([]);

      expect(await store.users.countActiveAdmins()).toBe(1);
      await store.users.update('u3', { disabled: true }, AT);
      expect(await store.users.countActiveAdmins()).toBe(0);

      const candidates = await store.users.staffCandidates({
        roles: ['staff', 'organizer', 'admin'],
        excludeIds: ['u2'],
        limit: 10,
      });
      // By name; disabled (u3), attendees (u4) and the excluded (u2) are left out.
      expect(candidates.map((user) => user.id)).toEqual(['u1', 'u0']);
      const byQuery = await store.users.staffCandidates({ roles: ['staff'], excludeIds: [], q: 'cleo', limit: 10 });
      expect(byQuery.map((user) => user.id)).toEqual(['u2']);
      expect(
        await store.users.staffCandidates({ roles: ['staff', 'organizer'], excludeIds: [], limit: 1 }),
      ).toHaveLength(1);
    });
  });

  describe('sessions and lockouts', () => {
    it('rotates a token once: rotated, then reused; unknown, expired and revoked are invalid', async () => {
      const token = tokenRow();
      await store.sessions.insert(token);
      const successor = (previous: RefreshTokenRow): RefreshTokenRow =>
        tokenRow({
          familyId: previous.familyId,
          userId: previous.userId,
          deviceId: previous.deviceId,
          createdAtMs: 2_000,
        });
      const rotated = await store.sessions.rotate(token.hash, 2_000, successor);
      expect(rotated.kind).toBe('rotated');
      if (rotated.kind !== 'rotated') return;
      expect(rotated.previous).toMatchObject({ hash: token.hash, rotatedAtMs: 2_000 });
      expect(rotated.next.familyId).toBe(token.familyId);
      expect(await store.sessions.findByHash(rotated.next.hash)).toEqual(rotated.next);
      expect((await store.sessions.findByHash(token.hash))?.rotatedAtMs).toBe(2_000);
      expect(await store.sessions.rotate(token.hash, 3_000, successor)).toEqual({
        kind: 'reused',
        familyId: token.familyId,
      });

      expect(await store.sessions.rotate('unknown', 3_000, successor)).toEqual({ kind: 'invalid' });
      const expired = tokenRow({ expiresAtMs: 2_500 });
      await store.sessions.insert(expired);
      expect(await store.sessions.rotate(expired.hash, 2_500, successor)).toEqual({ kind: 'invalid' });

      await store.sessions.revokeFamily(token.familyId, 4_000);
      expect(await store.sessions.rotate(rotated.next.hash, 4_001, successor)).toEqual({ kind: 'invalid' });
      expect((await store.sessions.findByHash(rotated.next.hash))?.revokedAtMs).toBe(4_000);
    });

    it('of two concurrent rotations of one token exactly one is rotated, the other reused', async () => {
      const token = tokenRow();
      await store.sessions.insert(token);
      const successor = (previous: RefreshTokenRow) => tokenRow({ familyId: previous.familyId });
      const outcomes = await Promise.all([
        store.sessions.rotate(token.hash, 2_000, successor),
        store.sessions.rotate(token.hash, 2_000, successor),
      ]);
      expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['reused', 'rotated']);
    });

    it('revokes by user and by device', async () => {
      const laptop = tokenRow({ userId: 'u-1', deviceId: 'laptop' });
      const phone = tokenRow({ userId: 'u-1', deviceId: 'phone' });
      const other = tokenRow({ userId: 'u-2', deviceId: 'laptop' });
      for (const row of [laptop, phone, other]) await store.sessions.insert(row);
      await store.sessions.revokeDevice('u-1', 'laptop', 5_000);
      expect((await store.sessions.findByHash(laptop.hash))?.revokedAtMs).toBe(5_000);
      expect((await store.sessions.findByHash(phone.hash))?.revokedAtMs).toBeNull();
      expect((await store.sessions.findByHash(other.hash))?.revokedAtMs).toBeNull();
      await store.sessions.revokeUser('u-1', 6_000);
      expect((await store.sessions.findByHash(phone.hash))?.revokedAtMs).toBe(6_000);
      expect((await store.sessions.findByHash(laptop.hash))?.revokedAtMs).toBe(5_000);
      expect((await store.sessions.findByHash(other.hash))?.revokedAtMs).toBeNull();
    });

    it('counts failures atomically, locks and clears', async () => {
      const now = Date.now();
      expect(await store.lockouts.recordFailure('pair:a@x:1.2.3.4', now)).toBe(1);
      expect(await store.lockouts.recordFailure('pair:a@x:1.2.3.4', now)).toBe(2);
      const counts = await Promise.all(
        Array.from({ length: 10 }, () => store.lockouts.recordFailure('pair:a@x:1.2.3.4', now)),
      );
      expect([...counts].sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(await store.lockouts.lockedUntil(['pair:a@x:1.2.3.4', 'account:a@x'])).toBe(0);
      await store.lockouts.lock('pair:a@x:1.2.3.4', now + 60_000);
      await store.lockouts.lock('account:a@x', now + 30_000);
      expect(await store.lockouts.lockedUntil(['pair:a@x:1.2.3.4', 'account:a@x'])).toBe(now + 60_000);
      expect(await store.lockouts.lockedUntil(['account:a@x'])).toBe(now + 30_000);
      await store.lockouts.clear('pair:a@x:1.2.3.4');
      expect(await store.lockouts.lockedUntil(['pair:a@x:1.2.3.4'])).toBe(0);
      expect(await store.lockouts.recordFailure('pair:a@x:1.2.3.4', now)).toBe(1);
    });
  });

  describe('devices', () => {
    it('touches (insert, move to the new user, keep the clock offset), lists and revokes in scope', async () => {
      const first = await store.devices.touch({
        deviceId: 'd1',
        userId: 'u1',
        at: isoAt(1),
        clockOffsetMs: 250,
        sessionId: 's1',
      });
      expect(first).toMatchObject({
        sessionId: 's1',
        id: 'd1',
        userId: 'u1',
        firstSeenAt: isoAt(1),
        lastSeenAt: isoAt(1),
        revoked: false,
        revokedAt: null,
        clockOffsetMs: 250,
        name: null,
      });
      const moved = await store.devices.touch({ deviceId: 'd1', userId: 'u2', at: isoAt(2) });
      // A touch that names no session keeps the last one.
      expect(moved).toMatchObject({
        userId: 'u2',
        firstSeenAt: isoAt(1),
        lastSeenAt: isoAt(2),
        clockOffsetMs: 250,
        sessionId: 's1',
      });
      expect(
        (await store.devices.touch({ deviceId: 'd1', userId: 'u2', at: isoAt(2), sessionId: 's2' })).sessionId,
      ).toBe('s2');
      expect(
        (await store.devices.touch({ deviceId: 'd1', userId: 'u2', at: isoAt(3), clockOffsetMs: -5_000 }))
          .clockOffsetMs,
      ).toBe(-5_000);
      await store.devices.touch({ deviceId: 'd2', userId: 'u1', at: isoAt(4) });
      await store.devices.touch({ deviceId: 'd3', userId: 'u1', at: isoAt(5) });
      // A device that syncs again keeps its place: the list is by when each was first seen.
      await store.devices.touch({ deviceId: 'd1', userId: 'u2', at: isoAt(6) });

      const all = await store.devices.list({}, undefined, 2);
      expect(all.map((device) => device.id)).toEqual(['d1', 'd2', 'd3']);
      const rest = await store.devices.list({}, { value: all[1]!.firstSeenAt, id: all[1]!.id }, 2);
      expect(rest.map((device) => device.id)).toEqual(['d3']);
      expect((await store.devices.list({ userId: 'u1' }, undefined, 10)).map((device) => device.id)).toEqual([
        'd2',
        'd3',
      ]);

      expect(await store.devices.revoke('d1', { userId: 'u1' }, isoAt(9))).toBeNull();
      expect((await store.devices.findById('d1'))?.revoked).toBe(false);
      const revoked = await store.devices.revoke('d1', { userId: 'u2' }, isoAt(9));
      expect(revoked).toMatchObject({ revoked: true, revokedAt: isoAt(9) });
      expect(await store.devices.revoke('d2', {}, isoAt(10))).toMatchObject({ revoked: true, revokedAt: isoAt(10) });
      expect(await store.devices.revoke('nope', {}, isoAt(10))).toBeNull();
    });

    it('leaves a device row alone when a touch would change it only within the interval and offset slack', async () => {
      const at = (ms: number) => new Date(Date.parse(AT) + ms).toISOString();
      const touch = (ms: number, more: { userId?: string; clockOffsetMs?: number; sessionId?: string } = {}) =>
        store.devices.touch({ deviceId: 'd1', userId: 'u1', at: at(ms), ...more });
      await touch(0, { clockOffsetMs: 0, sessionId: 's1' });
      const seen = async () => (await store.devices.findById('d1'))!;

      // Within the interval, an offset that moved by less than the slack: nothing written.
      const kept = await touch(TOUCH_INTERVAL_MS - 1, { clockOffsetMs: TOUCH_OFFSET_SLACK_MS - 1, sessionId: 's1' });
      expect(kept).toMatchObject({ lastSeenAt: at(0), clockOffsetMs: 0 });
      expect(await seen()).toMatchObject({ lastSeenAt: at(0), clockOffsetMs: 0 });
      // An offset that moved by the slack is written, and with it when.
      await touch(1_000, { clockOffsetMs: -TOUCH_OFFSET_SLACK_MS });
      expect(await seen()).toMatchObject({ lastSeenAt: at(1_000), clockOffsetMs: -TOUCH_OFFSET_SLACK_MS });
      // Another session or another user is written at once.
      await touch(1_001, { sessionId: 's2' });
      expect(await seen()).toMatchObject({ lastSeenAt: at(1_001), sessionId: 's2' });
      expect(await touch(1_002, { userId: 'u2' })).toMatchObject({ userId: 'u2', lastSeenAt: at(1_002) });
      // The interval over, the time is written again; a touch dated before the stored one too.
      await touch(1_002 + TOUCH_INTERVAL_MS - 1, { userId: 'u2' });
      expect((await seen()).lastSeenAt).toBe(at(1_002));
      await touch(1_002 + TOUCH_INTERVAL_MS, { userId: 'u2' });
      expect((await seen()).lastSeenAt).toBe(at(1_002 + TOUCH_INTERVAL_MS));
      await touch(500, { userId: 'u2' });
      expect((await seen()).lastSeenAt).toBe(at(500));
      // A revoked device answers revoked from a touch that writes nothing.
      await store.devices.revoke('d1', {}, at(501));
      expect(await touch(502, { userId: 'u2' })).toMatchObject({ revoked: true, lastSeenAt: at(500) });
    });
  });

  describe('events', () => {
    it("keeps the door's re-entry rule through insert, edit and the change log", async () => {
      const event = await createEvent(store, { allowReentry: false });
      expect((await store.events.findById(event.id))?.allowReentry).toBe(false);
      const logged = await store.changes.read(eventBucket(event.id), 0, 10);
      expect(logged.changes.find((change) => change.type === 'event')?.doc).toMatchObject({ allowReentry: false });
      const edited = await store.events.update(event.id, () => ({ set: { allowReentry: true }, mail: [] }));
      expect(edited?.allowReentry).toBe(true);
      expect((await store.events.findById(event.id))?.allowReentry).toBe(true);
    });

    it('keeps the staff walk-in setting through insert, edit and the change log', async () => {
      const event = await createEvent(store, { staffWalkIns: true });
      expect((await store.events.findById(event.id))?.staffWalkIns).toBe(true);
      const logged = await store.changes.read(eventBucket(event.id), 0, 10);
      expect(logged.changes.find((change) => change.type === 'event')?.doc).toMatchObject({ staffWalkIns: true });
      const edited = await store.events.update(event.id, () => ({ set: { staffWalkIns: false }, mail: [] }));
      expect(edited?.staffWalkIns).toBe(false);
      expect((await store.events.findById(event.id))?.staffWalkIns).toBe(false);
    });

    it('puts visibility in the query: admin, published, organizer, staff', async () => {
      // Listed in creation order (createdAt, id), whatever their starts.
      const draft = await createEvent(store, {
        status: 'draft',
        organizerId: 'org-a',
        startsAtMs: 3,
        createdAt: isoAt(1),
      });
      const published = await createEvent(store, {
        status: 'published',
        organizerId: 'org-b',
        startsAtMs: 2,
        createdAt: isoAt(2),
      });
      const staffed = await createEvent(store, {
        status: 'draft',
        organizerId: 'org-b',
        startsAtMs: 1,
        createdAt: isoAt(3),
      });
      await store.events.setStaff(staffed.id, ['staff-s', 'org-a'], isoAt(1));

      const ids = async (viewer: { id: string; role: 'admin' | 'organizer' | 'staff' | 'attendee' }) =>
        (await store.events.list(viewer, {}, undefined, 10)).map((event) => event.id);
      expect(await ids({ id: 'adm', role: 'admin' })).toEqual([draft.id, published.id, staffed.id]);
      expect(await ids({ id: 'org-a', role: 'organizer' })).toEqual([draft.id, published.id, staffed.id]);
      expect(await ids({ id: 'org-c', role: 'organizer' })).toEqual([published.id]);
      expect(await ids({ id: 'staff-s', role: 'staff' })).toEqual([published.id, staffed.id]);
      expect(await ids({ id: 'att', role: 'attendee' })).toEqual([published.id]);

      expect(await store.events.findVisible(draft.id, { id: 'att', role: 'attendee' })).toBeNull();
      expect((await store.events.findVisible(draft.id, { id: 'org-a', role: 'organizer' }))?.id).toBe(draft.id);
      expect((await store.events.findVisible(staffed.id, { id: 'staff-s', role: 'staff' }))?.id).toBe(staffed.id);
      expect((await store.events.findVisible(draft.id, { id: 'adm', role: 'admin' }))?.id).toBe(draft.id);

      expect((await store.events.accessibleIds({ id: 'adm', role: 'admin' })).sort()).toEqual(
        [draft.id, published.id, staffed.id].sort(),
      );
      expect((await store.events.accessibleIds({ id: 'org-a', role: 'organizer' })).sort()).toEqual(
        [draft.id, staffed.id].sort(),
      );
      expect(await store.events.accessibleIds({ id: 'org-b', role: 'organizer' })).toHaveLength(2);
      expect(await store.events.accessibleIds({ id: 'staff-s', role: 'staff' })).toEqual([staffed.id]);
      expect(await store.events.accessibleIds({ id: 'att', role: 'attendee' })).toEqual([]);

      // Staff removed: the event leaves their view at once.
      await store.events.setStaff(staffed.id, ['org-a'], isoAt(2));
      expect(await store.events.accessibleIds({ id: 'staff-s', role: 'staff' })).toEqual([]);
      expect(await store.events.findVisible(staffed.id, { id: 'staff-s', role: 'staff' })).toBeNull();
    });

    it('lists with filters and pages by (createdAt, id), whatever the start times', async () => {
      const base = Date.parse(STARTS);
      const hour = 3_600_000;
      const made: EventRow[] = [];
      for (let i = 0; i < 5; i++) {
        made.push(
          await createEvent(store, {
            title: i === 3 ? 'Jazz Night' : `Talk ${i}`,
            venue: i === 1 ? 'Café Zürich' : 'Hall One',
            startsAtMs: base + i * hour,
            endsAtMs: base + i * hour + hour,
            status: i === 4 ? 'cancelled' : 'published',
            // Created in the reverse order of their starts: the list follows creation.
            createdAt: isoAt(4 - i),
          }),
        );
      }
      const admin = { id: 'adm', role: 'admin' as const };
      const page = await store.events.list(admin, {}, undefined, 2);
      const byCreation = [...made].reverse().map((event) => event.id);
      expect(page.map((event) => event.id)).toEqual(byCreation.slice(0, 3));
      const next = await store.events.list(admin, {}, { value: page[1]!.createdAt, id: page[1]!.id }, 2);
      expect(next.map((event) => event.id)).toEqual(byCreation.slice(2, 5));
      expect((await store.events.list(admin, { q: 'JAZZ' }, undefined, 10)).map((e) => e.id)).toEqual([made[3]!.id]);
      expect((await store.events.list(admin, { q: 'zürich' }, undefined, 10)).map((e) => e.id)).toEqual([made[1]!.id]);
      expect((await store.events.list(admin, { status: 'cancelled' }, undefined, 10)).map((e) => e.id)).toEqual([
        made[4]!.id,
      ]);
      const window = await store.events.list(
        admin,
        { endsFromMs: base + 2 * hour, startsBeforeMs: base + 3 * hour },
        undefined,
        10,
      );
      // Talk 1 ends exactly at 2h (included); Jazz Night starts at 3h (excluded).
      expect(window.map((event) => event.id)).toEqual([made[2]!.id, made[1]!.id]);
    });

    it('updates atomically against the current row and its exact seat counts', async () => {
      const event = await createEvent(store);
      await store.bookings.book(bookInput(event, { quantity: 3 }));
      await store.bookings.book(bookInput(event, { quantity: 2, ticketTypeId: VIP }));
      const seen: Array<{ rev: number; booked: number; byType: Record<string, number> }> = [];
      const updated = await store.events.update(event.id, (current, counts) => {
        seen.push({ rev: current.rev, booked: counts.booked, byType: counts.byType });
        return {
          set: { title: 'Renamed', capacity: 50, updatedAt: isoAt(7), venue: undefined },
          mail: ['eventChanged:4'],
        };
      });
      expect(seen).toEqual([{ rev: 3, booked: 5, byType: { [GENERAL]: 3, [VIP]: 2 } }]);
      expect(updated).toMatchObject({ rev: 4, title: 'Renamed', capacity: 50, venue: 'Hall One', bookedCount: 5 });
      const logged = (await allChanges(store, eventBucket(event.id))).at(-1)!;
      expect(logged).toMatchObject({ type: 'event', rev: 4 });
      expect(logged.doc).toMatchObject({ title: 'Renamed', capacity: 50, bookedCount: 5 });
      expect(await store.mail.handoffs(10)).toContainEqual({
        kind: 'event',
        rowId: event.id,
        items: ['eventChanged:4'],
        rev: 4,
      });

      const headBefore = await head(store, eventBucket(event.id));
      expect(await store.events.update(event.id, () => null)).toMatchObject({ rev: 4 });
      await rejectsWith(
        store.events.update(event.id, () => {
          throw new GatehouseError('CONFLICT', 'no');
        }),
        'CONFLICT',
      );
      expect(await head(store, eventBucket(event.id))).toBe(headBefore);
      expect((await store.events.findById(event.id))?.rev).toBe(4);
      expect(await store.events.update('missing', () => ({ set: { title: 'x' }, mail: [] }))).toBeNull();
    });

    it('soft-deletes with a tombstone, and counts seats and stats facts', async () => {
      const event = await createEvent(store);
      const kept = await store.bookings.book(bookInput(event, { quantity: 2 }));
      const cancelled = await store.bookings.book(bookInput(event, { quantity: 1, ticketTypeId: VIP }));
      await store.bookings.cancel(cancelled.row.id, AT, () => []);
      await store.checkins.record(scan(kept.row, { gate: 'north', direction: 'in' }), noAlerts);
      await store.checkins.record(scan(kept.row, { gate: 'south', direction: 'out' }), noAlerts);

      expect(await store.events.seatCounts(event.id)).toEqual({ booked: 2, byType: { [GENERAL]: 2 } });
      const facts = await store.events.statsFacts(event.id);
      expect(facts.seats.sort((a, b) => a.ticketTypeId.localeCompare(b.ticketTypeId))).toEqual([
        { ticketTypeId: GENERAL, status: 'confirmed', seats: 2 },
        { ticketTypeId: VIP, status: 'cancelled', seats: 1 },
      ]);
      expect(facts.scans.map((fact) => [fact.bookingId, fact.ticketTypeId, fact.gate, fact.direction]).sort()).toEqual(
        [
          [kept.row.id, GENERAL, 'north', 'in'],
          [kept.row.id, GENERAL, 'south', 'out'],
        ].sort(),
      );

      expect(await store.events.remove(event.id, isoAt(9))).toBe(true);
      expect(await store.events.findById(event.id)).toBeNull();
      expect(await store.events.findVisible(event.id, { id: 'adm', role: 'admin' })).toBeNull();
      expect(await store.events.accessibleIds({ id: 'adm', role: 'admin' })).toEqual([]);
      const tombstone = (await allChanges(store, eventBucket(event.id))).at(-1)!;
      expect(tombstone).toMatchObject({ type: 'event', id: event.id, doc: null });
      expect(await store.events.remove(event.id, isoAt(10))).toBe(false);
      expect(await store.events.setStaff(event.id, [], isoAt(10))).toBeNull();
      await rejectsWith(store.bookings.book(bookInput(event)), 'NOT_FOUND');
    });

    it('keeps ticket keys oldest first, signs with the newest unretired, and logs the public half', async () => {
      const event = await createEvent(store);
      const second = await store.ticketKeys.insert({ ...keyInput(event.id, isoAt(5)), retiredAt: null });
      const retired = await store.ticketKeys.insert({ ...keyInput(event.id, isoAt(9)), retiredAt: isoAt(10) });
      const keys = await store.ticketKeys.listForEvent(event.id);
      expect(keys.map((key) => key.id)).toEqual([keys[0]!.id, second.id, retired.id]);
      expect(keys[0]!.privateKey).toBe('PRIVATE-never-logged');
      expect((await store.ticketKeys.signingKey(event.id))?.id).toBe(second.id);
      expect(await store.ticketKeys.signingKey('missing')).toBeNull();
      const logged = (await allChanges(store, eventBucket(event.id))).filter((change) => change.type === 'ticketKey');
      expect(logged).toHaveLength(3);
      expect(JSON.stringify(logged)).not.toContain('PRIVATE');
      await rejectsWith(store.ticketKeys.insert(keyInput('missing-event')), 'NOT_FOUND');
    });
  });

  describe('bookings', () => {
    it('enforces capacity and quota with SOLD_OUT naming what is left', async () => {
      const event = await createEvent(store, { capacity: 5 });
      const { row } = await store.bookings.book(bookInput(event, { quantity: 3 }));
      expect(row).toMatchObject({ rev: 1, status: 'confirmed', overCapacity: false, cancelledAt: null, quantity: 3 });
      const soldOut = await rejectsWith(store.bookings.book(bookInput(event, { quantity: 3 })), 'SOLD_OUT');
      expect(soldOut.details).toEqual([{ path: 'quantity', message: '2 left' }]);
      await store.bookings.book(bookInput(event, { quantity: 2 }));
      expect(await store.events.findById(event.id)).toMatchObject({ bookedCount: 5, typeSold: { [GENERAL]: 5 } });
      const vip = await createEvent(store, { capacity: 100 });
      await store.bookings.book(bookInput(vip, { quantity: 8, ticketTypeId: VIP }));
      const quota = await rejectsWith(
        store.bookings.book(bookInput(vip, { quantity: 3, ticketTypeId: VIP })),
        'SOLD_OUT',
      );
      expect(quota.details).toEqual([{ path: 'quantity', message: '2 left' }]);
    });

    it('refuses a missing event, a status not accepted, an unknown ticket type', async () => {
      const draft = await createEvent(store, { status: 'draft' });
      await rejectsWith(store.bookings.book(bookInput({ id: 'no-such-event' })), 'NOT_FOUND');
      await rejectsWith(store.bookings.book(bookInput(draft)), 'EVENT_NOT_BOOKABLE');
      const walkIn = await store.bookings.book(bookInput(draft, { statuses: ['draft', 'published'] }));
      expect(walkIn.replayed).toBe(false);
      await rejectsWith(
        store.bookings.book(bookInput(draft, { statuses: ['draft'], ticketTypeId: 'tt_x' })),
        'UNPROCESSABLE',
      );
      expect((await store.events.findById(draft.id))?.bookedCount).toBe(1);
    });

    it('accepts a flagged booking over capacity, marks it and raises its alert once', async () => {
      const event = await createEvent(store, { capacity: 1 });
      await store.bookings.book(bookInput(event));
      const input = bookInput(event, { limits: 'flag', source: 'walkIn', overCapacityAlert, mail: [] });
      const flagged = await store.bookings.book(input);
      expect(flagged.row.overCapacity).toBe(true);
      expect(flagged.replayed).toBe(false);
      const again = await store.bookings.book(input);
      expect(again).toEqual({ row: flagged.row, replayed: true });
      const alerts = await store.alerts.listForEvent(event.id, 10);
      expect(alerts.map((alert) => alert.id)).toEqual([`overcap-${flagged.row.id}`]);
      expect(alerts[0]).toMatchObject({ rev: 1, kind: 'overCapacity', bookingId: flagged.row.id });
      const logged = (await allChanges(store, eventBucket(event.id))).filter((change) => change.type === 'alert');
      expect(logged).toHaveLength(1);
      expect((await store.events.findById(event.id))?.bookedCount).toBe(2);
      // A flagged booking within limits is not over capacity and raises nothing.
      const roomy = await createEvent(store);
      const fine = await store.bookings.book(bookInput(roomy, { limits: 'flag', overCapacityAlert }));
      expect(fine.row.overCapacity).toBe(false);
      expect(await store.alerts.listForEvent(roomy.id, 10)).toEqual([]);
    });

    it('a booking accepted over capacity holds its seats: after another cancel, capacity is still full', async () => {
      const event = await createEvent(store, { capacity: 2 });
      const first = await store.bookings.book(bookInput(event));
      await store.bookings.book(bookInput(event));
      const walkIn = await store.bookings.book(bookInput(event, { limits: 'flag', source: 'walkIn', mail: [] }));
      expect(walkIn.row.overCapacity).toBe(true);
      await store.bookings.cancel(first.row.id, isoAt(1), () => []);
      // Two confirmed seats (one online, the walk-in) against a capacity of two: nothing left.
      const soldOut = await rejectsWith(store.bookings.book(bookInput(event)), 'SOLD_OUT');
      expect(soldOut.details).toEqual([{ path: 'quantity', message: '0 left' }]);
      expect(await store.events.seatCounts(event.id)).toEqual({ booked: 2, byType: { [GENERAL]: 2 } });
      // Its cancel gives its seat back: one booking fits again, and only one.
      await store.bookings.cancel(walkIn.row.id, isoAt(2), () => []);
      await store.bookings.book(bookInput(event));
      await rejectsWith(store.bookings.book(bookInput(event)), 'SOLD_OUT');
      expect(await store.events.findById(event.id)).toMatchObject({ bookedCount: 2, typeSold: { [GENERAL]: 2 } });
      // A flagged booking of several seats with one left holds all of them.
      const roomy = await createEvent(store, { capacity: 3 });
      const two = await store.bookings.book(bookInput(roomy, { quantity: 2 }));
      const group = await store.bookings.book(bookInput(roomy, { limits: 'flag', source: 'walkIn', quantity: 2 }));
      expect(group.row.overCapacity).toBe(true);
      await store.bookings.cancel(two.row.id, isoAt(3), () => []);
      await store.bookings.book(bookInput(roomy));
      await rejectsWith(store.bookings.book(bookInput(roomy)), 'SOLD_OUT');
      expect(await store.events.seatCounts(roomy.id)).toEqual({ booked: 3, byType: { [GENERAL]: 3 } });
    });

    it('a booking accepted over its quota holds its seats: after another cancel, the quota is still full', async () => {
      const event = await createEvent(store, {
        ticketTypes: [
          { id: GENERAL, name: 'General', price: 0, quota: 100 },
          { id: VIP, name: 'VIP', price: 5000, quota: 2 },
        ],
      });
      const first = await store.bookings.book(bookInput(event, { ticketTypeId: VIP }));
      await store.bookings.book(bookInput(event, { ticketTypeId: VIP }));
      const walkIn = await store.bookings.book(
        bookInput(event, { ticketTypeId: VIP, limits: 'flag', source: 'walkIn', mail: [] }),
      );
      expect(walkIn.row.overCapacity).toBe(true);
      await store.bookings.cancel(first.row.id, isoAt(1), () => []);
      const soldOut = await rejectsWith(store.bookings.book(bookInput(event, { ticketTypeId: VIP })), 'SOLD_OUT');
      expect(soldOut.details).toEqual([{ path: 'quantity', message: '0 left' }]);
      // The event's capacity has room: the other type sells.
      await store.bookings.book(bookInput(event));
      expect(await store.events.seatCounts(event.id)).toEqual({ booked: 3, byType: { [VIP]: 2, [GENERAL]: 1 } });
      await store.bookings.cancel(walkIn.row.id, isoAt(2), () => []);
      await store.bookings.book(bookInput(event, { ticketTypeId: VIP }));
      await rejectsWith(store.bookings.book(bookInput(event, { ticketTypeId: VIP })), 'SOLD_OUT');
      expect((await store.events.findById(event.id))?.typeSold).toEqual({ [VIP]: 2, [GENERAL]: 1 });
    });

    it('replays a booking id, and refuses it for another event with CONFLICT', async () => {
      const event = await createEvent(store, { capacity: 2 });
      const other = await createEvent(store);
      const input = bookInput(event, { quantity: 2 });
      const first = await store.bookings.book(input);
      const headAfter = await head(store, eventBucket(event.id));
      // Replayed even though the event is now full: the booking exists.
      expect(await store.bookings.book(input)).toEqual({ row: first.row, replayed: true });
      expect(await head(store, eventBucket(event.id))).toBe(headAfter);
      await rejectsWith(store.bookings.book(bookInput(other, { id: first.row.id })), 'CONFLICT');
      expect((await store.events.findById(event.id))?.bookedCount).toBe(2);
      expect((await store.events.findById(other.id))?.bookedCount).toBe(0);
    });

    it('holds a lowered capacity at once: 24 concurrent bookings after lowering to the booked count all sell out', async () => {
      const event = await createEvent(store, { capacity: 10 });
      await store.bookings.book(bookInput(event, { quantity: 5 }));
      await store.events.update(event.id, () => ({ set: { capacity: 5 }, mail: [] }));
      const results = await Promise.allSettled(Array.from({ length: 24 }, () => store.bookings.book(bookInput(event))));
      expect(results.every((result) => result.status === 'rejected')).toBe(true);
      for (const result of results) {
        if (result.status === 'rejected') expect((result.reason as GatehouseError).code).toBe('SOLD_OUT');
      }
      expect((await store.events.findById(event.id))?.bookedCount).toBe(5);
      expect(await store.bookings.listForEvent(event.id, {}, undefined, 100)).toHaveLength(1);
    });

    it('holds a lowered quota at once', async () => {
      const event = await createEvent(store);
      await store.bookings.book(bookInput(event, { quantity: 4, ticketTypeId: VIP }));
      await store.events.update(event.id, (current) => ({
        set: { ticketTypes: current.ticketTypes.map((type) => (type.id === VIP ? { ...type, quota: 4 } : type)) },
        mail: [],
      }));
      const results = await Promise.allSettled(
        Array.from({ length: 24 }, () => store.bookings.book(bookInput(event, { ticketTypeId: VIP }))),
      );
      expect(
        results.map((result) => (result.status === 'rejected' ? (result.reason as GatehouseError).code : 'ok')),
      ).toEqual(Array.from({ length: 24 }, () => 'SOLD_OUT'));
      // The general type is unaffected.
      expect((await store.bookings.book(bookInput(event))).row.overCapacity).toBe(false);
      expect((await store.events.findById(event.id))?.typeSold).toEqual({ [VIP]: 4, [GENERAL]: 1 });
    });

    it('draws another code when the code is taken within the event, and gives up after five', async () => {
      const event = await createEvent(store);
      const other = await createEvent(store);
      const same = (attempt: number) => (attempt === 0 ? 'SAME' : `ALT${attempt}`);
      expect((await store.bookings.book(bookInput(event, { codes: same }))).row.code).toBe('SAME');
      // Another event may use the same code.
      expect((await store.bookings.book(bookInput(other, { codes: same }))).row.code).toBe('SAME');
      expect((await store.bookings.book(bookInput(event, { codes: same }))).row.code).toBe('ALT1');
      const tried: number[] = [];
      await rejectsWith(
        store.bookings.book(
          bookInput(event, {
            codes: (attempt) => {
              tried.push(attempt);
              return 'SAME';
            },
          }),
        ),
        'SERVICE_UNAVAILABLE',
      );
      expect(tried).toEqual([0, 1, 2, 3, 4]);
      expect((await store.events.findById(event.id))?.bookedCount).toBe(2);
    });

    it('cancels once, giving seats back and owing the mail; repeats are harmless', async () => {
      const event = await createEvent(store, { capacity: 3 });
      const { row } = await store.bookings.book(bookInput(event, { quantity: 3, ticketTypeId: VIP }));
      await rejectsWith(store.bookings.book(bookInput(event)), 'SOLD_OUT');
      const cancelled = await store.bookings.cancel(row.id, isoAt(3), (current) => {
        expect(current.status).toBe('cancelled');
        return ['bookingCancelled'];
      });
      expect(cancelled).toMatchObject({ changed: true, row: { status: 'cancelled', cancelledAt: isoAt(3), rev: 2 } });
      expect(await store.events.seatCounts(event.id)).toEqual({ booked: 0, byType: {} });
      const again = await store.bookings.cancel(row.id, isoAt(4), () => ['bookingCancelled']);
      expect(again).toEqual({ row: cancelled!.row, changed: false });
      expect(await store.bookings.cancel('missing', AT, () => [])).toBeNull();
      const handoff = (await store.mail.handoffs(10)).find((item) => item.rowId === row.id);
      expect(handoff).toEqual({
        kind: 'booking',
        rowId: row.id,
        items: ['bookingConfirmed', 'bookingCancelled'],
        rev: 2,
      });
      const bookingChanges = (await allChanges(store, eventBucket(event.id))).filter((change) => change.id === row.id);
      expect(bookingChanges.map((change) => change.rev)).toEqual([1, 2]);
      await store.bookings.book(bookInput(event, { quantity: 3 }));
    });

    it('lists an event’s bookings by (createdAt, id) with status and after; a user’s own online ones newest first', async () => {
      const event = await createEvent(store);
      const rows: BookingRow[] = [];
      for (let i = 0; i < 6; i++) {
        const source = i === 5 ? 'walkIn' : 'online';
        rows.push((await store.bookings.book(bookInput(event, { createdAt: isoAt(i), userId: 'buyer', source }))).row);
      }
      await store.bookings.cancel(rows[2]!.id, AT, () => []);
      const page = await store.bookings.listForEvent(event.id, {}, undefined, 2);
      expect(page.map((row) => row.id)).toEqual(rows.slice(0, 3).map((row) => row.id));
      const next = await store.bookings.listForEvent(event.id, {}, { value: page[1]!.createdAt, id: page[1]!.id }, 10);
      expect(next.map((row) => row.id)).toEqual(rows.slice(2).map((row) => row.id));
      const confirmed = await store.bookings.listForEvent(event.id, { status: 'confirmed' }, undefined, 10);
      expect(confirmed.map((row) => row.id)).toEqual(rows.filter((_row, i) => i !== 2).map((row) => row.id));
      const cancelled = await store.bookings.listForEvent(event.id, { status: 'cancelled' }, undefined, 10);
      expect(cancelled.map((row) => row.id)).toEqual([rows[2]!.id]);

      const mine = await store.bookings.listForUser('buyer', undefined, 2);
      expect(mine.map((row) => row.id)).toEqual([rows[4]!.id, rows[3]!.id, rows[2]!.id]);
      const older = await store.bookings.listForUser('buyer', { value: mine[1]!.createdAt, id: mine[1]!.id }, 10);
      expect(older.map((row) => row.id)).toEqual([rows[2]!.id, rows[1]!.id, rows[0]!.id]);
      expect((await store.bookings.findById(rows[5]!.id))?.source).toBe('walkIn');
    });

    it('finds bookings by word prefixes of name, email, the whole email and the code', async () => {
      const event = await createEvent(store);
      const people = [
        { name: 'Grace Hopper', email: 'grace@navy.mil', code: 'GH1234' },
        { name: 'Grace Kelly', email: 'kelly@monaco.mc', code: 'GK5555' },
        { name: 'Alan Turing', email: 'alan@bletchley.uk', code: 'AT0001' },
        { name: 'Ørsted Hans', code: 'OH0002' },
      ];
      const ids: Record<string, string> = {};
      for (const [i, person] of people.entries()) {
        const attendee = person.email ? { name: person.name, email: person.email } : { name: person.name };
        const { row } = await store.bookings.book(
          bookInput(event, { attendee, code: person.code, createdAt: isoAt(i) }),
        );
        ids[person.code] = row.id;
        if (!person.email) expect(row.attendee).toEqual({ name: person.name });
      }
      const search = async (...words: string[]) =>
        (await store.bookings.listForEvent(event.id, { words }, undefined, 10)).map((row) => row.code);
      expect(await search('gra')).toEqual(['GH1234', 'GK5555']);
      expect(await search('gra', 'hop')).toEqual(['GH1234']);
      expect(await search('GRACE', 'kel')).toEqual(['GK5555']);
      expect(await search('navy')).toEqual(['GH1234']);
      expect(await search('alan@bletchley')).toEqual(['AT0001']);
      expect(await search('at00')).toEqual(['AT0001']);
      expect(await search('ørs')).toEqual(['OH0002']);
      expect(await search('race')).toEqual([]);
      expect(await search('grace', 'turing')).toEqual([]);
      const later = await store.bookings.listForEvent(
        event.id,
        { words: ['grace'] },
        { value: isoAt(0), id: ids.GH1234! },
        10,
      );
      expect(later.map((row) => row.code)).toEqual(['GK5555']);
      await store.bookings.cancel(ids.GK5555!, AT, () => []);
      expect(
        (await store.bookings.listForEvent(event.id, { words: ['grace'], status: 'confirmed' }, undefined, 10)).map(
          (row) => row.code,
        ),
      ).toEqual(['GH1234']);
    });

    it('finds the same bookings whichever plan a search takes: rare or common words, two to four of them, paged', async () => {
      const event = await createEvent(store, { capacity: 2_000 });
      // 12 first names × 10 surnames, so a pair of words is common alone and rare together. 1,200
      // people for the SQLite adapter's plans (which one runs depends on how many each word matches);
      // MongoDB's search is one query whatever the words, and 240 prove its matching and paging as
      // well — FerretDB scans the collection for every page, which took 28 s at 1,200.
      const count = adapter.name === 'sqlite' ? 1_200 : 240;
      const people = Array.from({ length: count }, (_v, i) => ({
        ...bookInput(event, { createdAt: isoAt(i) }).booking,
        code: `P${String(i).padStart(5, '0')}`,
        attendee: {
          name: `First${i % 12} Last${Math.floor(i / 12) % 10} Person${i}`,
          email: `p${i}@site${i % 3}.test`,
        },
      }));
      expect(await store.bookings.importMany(event.id, people)).toBe(count);
      const expected = (...words: string[]) =>
        people
          .filter((row) => {
            const terms = searchTermsOf(row.attendee, row.code);
            return words.every((word) => terms.some((term) => term.startsWith(word.toLowerCase())));
          })
          .map((row) => row.code);
      const searchAll = async (...words: string[]) => {
        const found: string[] = [];
        let after: { value: string; id: string } | undefined;
        for (let page = 0; page < 100; page++) {
          const rows = await store.bookings.listForEvent(event.id, { words }, after, 25);
          found.push(...rows.map((row) => row.code));
          if (rows.length < 25) break;
          after = { value: rows.at(-1)!.createdAt, id: rows.at(-1)!.id };
        }
        return found;
      };
      for (const words of [
        ['first3', 'last4'],
        ['LAST4', 'first3', 'site0'],
        ['first3', 'last4', 'site0', 'person1'],
        ['person1', 'first1'],
        ['first11', 'last9', 'p1199@site2.test'],
        ['first1', 'last1'],
        ['first3', 'last4', 'person9999'],
        ['p11', 'site2'],
        ['p1'],
      ]) {
        const want = expected(...words);
        expect(await searchAll(...words), words.join(' ')).toEqual(want);
      }
      expect(expected('first3', 'last4')).toHaveLength(count / 120);
    });

    it('imports many bookings at once: existing ids skipped, counts moved once, a taken code refuses all', async () => {
      const event = await createEvent(store, { capacity: 3 });
      const existing = await store.bookings.book(bookInput(event));
      const rows = Array.from({ length: 5 }, (_v, i) => ({
        ...bookInput(event, { createdAt: isoAt(i + 1) }).booking,
        code: `IMP${i}`,
      }));
      const headBefore = await head(store, eventBucket(event.id));
      expect(await store.bookings.importMany(event.id, [...rows, { ...existing.row, code: 'OTHER' }])).toBe(5);
      const after = await store.events.findById(event.id);
      // Capacity is not enforced on import; one event version is logged for the whole import.
      expect(after).toMatchObject({ bookedCount: 6, rev: 3 });
      expect(await head(store, eventBucket(event.id))).toBe(headBefore + 5 + 1);
      expect(await store.bookings.importMany(event.id, rows)).toBe(0);

      const clash = [
        { ...bookInput(event).booking, code: 'FRESH' },
        { ...bookInput(event).booking, code: 'IMP0' },
      ];
      await rejectsWith(store.bookings.importMany(event.id, clash), 'CONFLICT');
      expect(await store.bookings.findById(clash[0]!.id)).toBeNull();
      expect((await store.events.findById(event.id))?.bookedCount).toBe(6);
      expect(
        (await store.bookings.listForEvent(event.id, { words: ['imp3'] }, undefined, 10)).map((r) => r.code),
      ).toEqual(['IMP3']);
    });

    it('imports CSV rows: matched by external id or email + name, updated and logged, limits held, outcomes in order', async () => {
      const event = await createEvent(store, { capacity: 3 });
      const online = await store.bookings.book(
        bookInput(event, { attendee: { name: 'Zoë Ferrant', email: 'zoe@example.org' } }),
      );
      let drawn = 0;
      const chunk = (rows: ImportRowInput[]) => ({
        eventId: event.id,
        userId: 'organizer-1',
        createdAt: AT,
        rows,
        codes: () => `IMPORT${(drawn += 1)}`,
      });
      const row = (line: number, overrides: Partial<ImportRowInput> = {}): ImportRowInput => ({
        line,
        id: uid('imp'),
        externalId: `X-${line}`,
        attendee: { name: `Guest ${line}`, email: `guest${line}@example.org` },
        ticketTypeId: GENERAL,
        orderedAt: null,
        ...overrides,
      });
      const headBefore = await head(store, eventBucket(event.id));
      const first = await store.bookings.importRows(
        chunk([
          row(2),
          // No external id: matched by email and folded name to the online booking, which takes the VIP type.
          row(3, { externalId: null, attendee: { name: 'ZOE FERRANT', email: 'zoe@example.org' }, ticketTypeId: VIP }),
          row(4),
          row(5),
        ]),
      );
      expect(first.map((outcome) => [outcome.line, outcome.kind])).toEqual([
        [2, 'created'],
        [3, 'updated'],
        [4, 'created'],
        [5, 'refused'],
      ]);
      expect(first[3]).toMatchObject({ code: 'SOLD_OUT' });
      const zoe = await store.bookings.findById(online.row.id);
      expect(zoe).toMatchObject({ ticketTypeId: VIP, attendee: { name: 'ZOE FERRANT' }, rev: 2, source: 'online' });
      const two = await store.bookings.findById((first[0] as { bookingId: string }).bookingId);
      expect(two).toMatchObject({ externalId: 'X-2', source: 'import', userId: 'organizer-1', status: 'confirmed' });
      expect(await head(store, eventBucket(event.id))).toBeGreaterThan(headBefore + 2);
      // Seat counts as of every booking write that has answered (a recount snapshot on MongoDB).
      expect(await store.events.findById(event.id)).toMatchObject({
        bookedCount: 3,
        typeSold: { [GENERAL]: 2, [VIP]: 1 },
      });
      // Again, with a renamed guest: the same bookings, one updated, nothing added.
      const again = await store.bookings.importRows(
        chunk([row(2, { attendee: { name: 'Guest Two', email: 'guest2@example.org' } }), row(4)]),
      );
      expect(again.map((outcome) => outcome.kind)).toEqual(['updated', 'unchanged']);
      expect(again[0]).toMatchObject({ bookingId: two!.id });
      expect((await store.bookings.listForEvent(event.id, {}, undefined, 10)).length).toBe(3);
      await rejectsWith(store.bookings.importRows(chunk([row(9, { ticketTypeId: 'tt_nope' })])), 'UNPROCESSABLE');
    });

    it('finds a booking by its code or its external id, within its own event only (bulk photo import)', async () => {
      const event = await createEvent(store);
      const other = await createEvent(store);
      const online = await store.bookings.book(bookInput(event));
      const [imported] = await store.bookings.importRows({
        eventId: event.id,
        userId: 'organizer-1',
        createdAt: AT,
        rows: [
          {
            line: 2,
            id: uid('imp'),
            externalId: 'EB-42-1',
            attendee: { name: 'Photo Guest', email: 'photo@example.org' },
            ticketTypeId: GENERAL,
            orderedAt: null,
          },
        ],
        codes: () => 'PHOTO042',
      });
      const importedId = (imported as { bookingId: string }).bookingId;
      expect((await store.bookings.findByCode(event.id, online.row.code))?.id).toBe(online.row.id);
      expect((await store.bookings.findByCode(event.id, 'PHOTO042'))?.id).toBe(importedId);
      expect(await store.bookings.findByExternalId(event.id, 'EB-42-1')).toMatchObject({
        id: importedId,
        externalId: 'EB-42-1',
        code: 'PHOTO042',
      });
      expect(await store.bookings.findByCode(other.id, online.row.code)).toBeNull();
      expect(await store.bookings.findByExternalId(other.id, 'EB-42-1')).toBeNull();
      expect(await store.bookings.findByCode(event.id, 'photo042')).toBeNull();
      expect(await store.bookings.findByExternalId(event.id, 'EB-42')).toBeNull();
    });
  });

  describe('blobs and photos', () => {
    const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64url');

    it('puts, reads, replaces and deletes a blob by id, whole (several MongoDB chunks too)', async () => {
      const id = `booking:${uid('bk')}`;
      expect(await store.blobs.get(id)).toBeNull();
      const small = randomBytes(1000);
      const row = await store.blobs.put({ id, contentType: 'image/webp', bytes: small, at: AT });
      expect(row).toEqual({ id, contentType: 'image/webp', byteLength: 1000, sha256: digest(small), createdAt: AT });
      const read = await store.blobs.get(id);
      expect(read?.row).toEqual(row);
      expect(Buffer.compare(read!.bytes, small)).toBe(0);

      // Over two chunks of 255 kB: the replacement is read back byte for byte, the old one is gone.
      const large = randomBytes(600 * 1024);
      const replaced = await store.blobs.put({ id, contentType: 'image/webp', bytes: large, at: isoAt(1) });
      expect(replaced.sha256).toBe(digest(large));
      const again = await store.blobs.get(id);
      expect(again?.row).toEqual(replaced);
      expect(Buffer.compare(again!.bytes, large)).toBe(0);

      const empty = await store.blobs.put({
        id: `${id}-empty`,
        contentType: 'image/webp',
        bytes: Buffer.alloc(0),
        at: AT,
      });
      expect(empty.byteLength).toBe(0);
      expect((await store.blobs.get(empty.id))!.bytes.byteLength).toBe(0);

      expect(await store.blobs.delete(id)).toBe(true);
      expect(await store.blobs.get(id)).toBeNull();
      expect(await store.blobs.delete(id)).toBe(false);
    });

    it('a reader racing puts of one id gets one of the blobs whole, never a mix', async () => {
      const id = `user:${uid('u')}`;
      const versions = [randomBytes(400 * 1024), randomBytes(300 * 1024), randomBytes(520 * 1024)];
      const known = new Set(versions.map(digest));
      await store.blobs.put({ id, contentType: 'image/webp', bytes: versions[0]!, at: AT });
      const reads: Array<Promise<Buffer | null>> = [];
      const puts: Array<Promise<unknown>> = [];
      for (let round = 0; round < 6; round++) {
        puts.push(store.blobs.put({ id, contentType: 'image/webp', bytes: versions[round % 3]!, at: AT }));
        reads.push(store.blobs.get(id).then((blob) => blob?.bytes ?? null));
      }
      await Promise.all(puts);
      for (const bytes of await Promise.all(reads)) {
        expect(bytes).not.toBeNull();
        expect(known.has(digest(bytes!))).toBe(true);
      }
      const last = await store.blobs.get(id);
      expect(known.has(digest(last!.bytes))).toBe(true);
      expect(last!.row.sha256).toBe(digest(last!.bytes));
    });

    it("sets and removes a booking's photo id: rev bumped and logged to the event bucket, once", async () => {
      const event = await createEvent(store);
      const { row } = await store.bookings.book(bookInput(event));
      const photoId = digest(randomBytes(16));
      const bucket = eventBucket(event.id);
      const before = await head(store, bucket);

      const set = await store.bookings.setPhoto(row.id, photoId);
      expect(set).toMatchObject({ id: row.id, rev: row.rev + 1, photoId });
      expect((await store.bookings.findById(row.id))?.photoId).toBe(photoId);
      let changes = (await allChanges(store, bucket)).filter((change) => change.seq > before);
      expect(changes.map((change) => [change.type, change.id, change.rev])).toEqual([['booking', row.id, row.rev + 1]]);
      expect(changes[0]!.doc).toEqual({ ...toBooking(row), photoId });

      // The same id again: nothing changes, nothing is logged.
      expect((await store.bookings.setPhoto(row.id, photoId))?.rev).toBe(row.rev + 1);
      expect(await head(store, bucket)).toBe(before + 1);

      const removed = await store.bookings.setPhoto(row.id, null);
      expect(removed?.rev).toBe(row.rev + 2);
      expect(removed?.photoId ?? null).toBeNull();
      changes = (await allChanges(store, bucket)).filter((change) => change.seq > before + 1);
      expect(changes.map((change) => change.doc)).toEqual([toBooking(row)]);
      expect(await store.bookings.setPhoto('no-such-booking', photoId)).toBeNull();
    });

    it("sets and removes a user's photo id, published to the user's bucket", async () => {
      const user = await store.users.create({
        id: uid('user'),
        email: `${uid('photo')}@example.org`,
        name: 'Pia',
        role: 'staff',
        passwordHash: 'hash',
        at: AT,
      });
      const photoId = digest(randomBytes(16));
      const updated = await store.users.update(user.id, { photoId }, isoAt(1));
      expect(updated).toMatchObject({ rev: 2, photoId, name: 'Pia' });
      expect((await store.users.findById(user.id))?.photoId).toBe(photoId);
      const removed = await store.users.update(user.id, { photoId: null }, isoAt(2));
      expect(removed?.photoId ?? null).toBeNull();
      expect((await store.users.findById(user.id))?.photoId ?? null).toBeNull();
      const docs = (await allChanges(store, userBucket(user.id))).map((change) => change.doc as { photoId?: string });
      expect(docs.map((doc) => doc.photoId ?? null)).toEqual([null, photoId, null]);
    });
  });

  describe('idempotency keys', () => {
    it('claims a key once, answers the holder and its answer, and releases or completes only its own claim', async () => {
      expect(await store.idempotency.claim('u1:k1', 'hash-a', 'booking-1', 1_000)).toEqual({ kind: 'new' });
      const held = { kind: 'existing', requestHash: 'hash-a', resourceId: 'booking-1', createdAtMs: 1_000 };
      expect(await store.idempotency.claim('u1:k1', 'hash-b', 'booking-2', 2_000)).toEqual({ ...held, answer: null });
      await store.idempotency.complete('u1:k1', 'booking-2', { status: 201, body: '{"id":"booking-2"}' });
      await store.idempotency.release('u1:k1', 'booking-2');
      expect(await store.idempotency.claim('u1:k1', 'hash-b', 'booking-2', 3_000)).toEqual({ ...held, answer: null });
      const answer = { status: 201, body: '{"id":"booking-1"}' };
      await store.idempotency.complete('u1:k1', 'booking-1', answer);
      expect(await store.idempotency.claim('u1:k1', 'hash-a', 'booking-3', 4_000)).toEqual({ ...held, answer });
      await store.idempotency.release('u1:k1', 'booking-1');
      expect(await store.idempotency.claim('u1:k1', 'hash-b', 'booking-2', 3_000)).toEqual({ kind: 'new' });
    });
  });

  describe('refused scans', () => {
    it('records a refusal once by its id, logs it to the event, lists an event newest first by HLC', async () => {
      const event = await createEvent(store);
      const refusal = (id: string, hlc: string, overrides: Partial<Omit<RefusalRow, 'rev'>> = {}) => ({
        id,
        eventId: event.id,
        gate: 'North',
        direction: 'in' as const,
        reason: 'format' as const,
        bookingId: null,
        ticketEventId: null,
        scannedAt: isoAt(1),
        deviceId: 'device-1',
        staffId: 'staff-1',
        hlc,
        receivedAt: isoAt(2),
        ...overrides,
      });
      const first = await store.refusals.record(refusal(uid('r'), '0001-0000-a'));
      expect(first.repeated).toBe(false);
      expect(await store.refusals.record(refusal(first.row.id, '0001-0000-a'))).toMatchObject({ repeated: true });
      await expect(
        store.refusals.record(refusal(first.row.id, '0001-0000-a', { staffId: 'someone-else' })),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      const wrongEvent = await store.refusals.record(
        refusal(uid('r'), '0002-0000-a', { reason: 'wrongEvent', bookingId: 'b-9', ticketEventId: 'ev-9' }),
      );
      expect((await store.refusals.listForEvent(event.id, 10)).map((row) => row.id)).toEqual([
        wrongEvent.row.id,
        first.row.id,
      ]);
      const logged = await store.changes.read(eventBucket(event.id), 0, 100);
      expect(logged.changes.filter((change) => change.type === 'refusal').map((change) => change.doc)).toEqual([
        expect.objectContaining({ id: first.row.id, reason: 'format', bookingId: null }),
        expect.objectContaining({ id: wrongEvent.row.id, reason: 'wrongEvent', ticketEventId: 'ev-9' }),
      ]);
    });
  });

  describe('check-ins and alerts', () => {
    it('records a scan once: the same scan again is repeated, another scan under its id is CONFLICT', async () => {
      const event = await createEvent(store);
      const { row: booking } = await store.bookings.book(bookInput(event));
      const input = scan(booking);
      const first = await store.checkins.record(input, noAlerts);
      expect(first).toEqual({ row: { ...input, rev: 1 }, repeated: false });
      const headAfter = await head(store, eventBucket(event.id));
      expect(await store.checkins.record({ ...input, receivedAt: isoAt(9), deviceId: 'device-2' }, noAlerts)).toEqual({
        row: first.row,
        repeated: true,
      });
      expect(await head(store, eventBucket(event.id))).toBe(headAfter);
      await rejectsWith(store.checkins.record({ ...input, gate: 'south' }, noAlerts), 'CONFLICT');
      await rejectsWith(store.checkins.record({ ...input, direction: 'out' }, noAlerts), 'CONFLICT');
      expect(await store.checkins.findById(input.id)).toEqual(first.row);
      expect(await store.checkins.countForEvent(event.id)).toBe(1);
      expect((await store.checkins.listForEvent(event.id)).map((row) => row.id)).toEqual([input.id]);
      const logged = (await allChanges(store, eventBucket(event.id))).filter((change) => change.type === 'checkin');
      expect(logged).toHaveLength(1);
    });

    it('answers NOT_FOUND for a booking of another event or none', async () => {
      const event = await createEvent(store);
      const other = await createEvent(store);
      const { row: booking } = await store.bookings.book(bookInput(other));
      await rejectsWith(store.checkins.record({ ...scan(booking), eventId: event.id }, noAlerts), 'NOT_FOUND');
      await rejectsWith(store.checkins.record(scan({ id: 'missing', eventId: event.id }), noAlerts), 'NOT_FOUND');
      expect(await store.checkins.countForEvent(event.id)).toBe(0);
    });

    it('derives alerts from the booking’s whole history and raises each once', async () => {
      const event = await createEvent(store);
      const { row: booking } = await store.bookings.book(bookInput(event));
      const histories: number[] = [];
      const derive: DeriveAlerts = (bookingRow, scanRow, history) => {
        expect(bookingRow.id).toBe(booking.id);
        expect(history.some((fact) => fact.checkinId === scanRow.id)).toBe(true);
        histories.push(history.length);
        return deriveDuplicates(bookingRow, scanRow, history);
      };
      const entry = scan(booking, { hlc: '0001', gate: 'north' });
      const second = scan(booking, { hlc: '0002', gate: 'south' });
      const exit = scan(booking, { hlc: '0003', direction: 'out' });
      const reentry = scan(booking, { hlc: '0004' });
      await store.checkins.record(entry, derive);
      await store.checkins.record(second, derive);
      await store.checkins.record(exit, derive);
      await store.checkins.record(reentry, derive);
      await store.checkins.record(second, derive);
      expect(histories).toEqual([1, 2, 3, 4, 4]);
      const alerts = await store.alerts.listForEvent(event.id, 10);
      expect(alerts.map((alert) => [alert.id, alert.firstCheckinId])).toEqual([[`dup-${second.id}`, entry.id]]);
      expect((await allChanges(store, eventBucket(event.id))).filter((change) => change.type === 'alert')).toHaveLength(
        1,
      );
      expect((await store.checkins.listForBooking(booking.id)).map((row) => row.id)).toEqual(
        [entry, second, exit, reentry].map((row) => row.id),
      );
    });

    it('raises an alert once and lists alerts newest first', async () => {
      const event = await createEvent(store);
      const alert = (id: string, createdAt: string): NewAlertRow => ({
        id,
        eventId: event.id,
        kind: 'cancelledCheckin',
        bookingId: 'b',
        checkinId: null,
        firstCheckinId: null,
        message: id,
        createdAt,
      });
      expect(await store.alerts.raise(alert('a1', isoAt(1)))).toBe(true);
      expect(await store.alerts.raise(alert('a1', isoAt(5)))).toBe(false);
      expect(await store.alerts.raise(alert('a2', isoAt(2)))).toBe(true);
      expect(await store.alerts.raise(alert('a3', isoAt(0)))).toBe(true);
      const listed = await store.alerts.listForEvent(event.id, 2);
      expect(listed.map((row) => [row.id, row.rev])).toEqual([
        ['a2', 1],
        ['a1', 1],
      ]);
      expect(listed[1]!.createdAt).toBe(isoAt(1));
    });

    it('acknowledges an alert: the first acknowledgement by HLC stands, logged once per change; another event’s alert is ALERT_NOT_FOUND', async () => {
      const event = await createEvent(store);
      const other = await createEvent(store);
      await store.alerts.raise({
        id: 'ack-1',
        eventId: event.id,
        kind: 'duplicateEntry',
        bookingId: 'b',
        checkinId: 'c2',
        firstCheckinId: 'c1',
        message: 'twice',
        createdAt: AT,
      });
      const ackBy = (id: string, hlc: string) => ({
        id,
        userId: 'staff-1',
        userName: 'Sam Staff',
        acknowledgedAt: AT,
        hlc,
        note: null,
      });
      const logged = async () =>
        (await store.changes.read(eventBucket(event.id), 0, 100)).changes.filter((c) => c.id === 'ack-1');

      const first = await store.alerts.acknowledge('ack-1', event.id, ackBy('k2', '000000000000200:00000:a'));
      expect(first).toMatchObject({ changed: true, row: { rev: 2, acknowledgement: { id: 'k2' } } });
      // Later (and a repeat of the same): left as it is.
      for (const [id, hlc] of [
        ['k3', '000000000000300:00000:a'],
        ['k2', '000000000000200:00000:a'],
      ] as const) {
        expect(await store.alerts.acknowledge('ack-1', event.id, ackBy(id, hlc))).toMatchObject({
          changed: false,
          row: { rev: 2, acknowledgement: { id: 'k2' } },
        });
      }
      // Earlier, arriving late: it replaces the stored one.
      const earlier = await store.alerts.acknowledge('ack-1', event.id, ackBy('k1', '000000000000100:00000:a'));
      expect(earlier).toMatchObject({ changed: true, row: { rev: 3, acknowledgement: { id: 'k1' } } });
      expect(await store.alerts.findById('ack-1')).toEqual(earlier.row);
      expect(
        (await logged()).map((change) => [
          change.rev,
          (change.doc as { acknowledgement?: { id: string } }).acknowledgement?.id,
        ]),
      ).toEqual([
        [1, undefined],
        [2, 'k2'],
        [3, 'k1'],
      ]);

      await expect(
        store.alerts.acknowledge('ack-1', other.id, ackBy('k0', '000000000000050:00000:a')),
      ).rejects.toMatchObject({
        code: 'ALERT_NOT_FOUND',
      });
      await expect(
        store.alerts.acknowledge('none', event.id, ackBy('k0', '000000000000050:00000:a')),
      ).rejects.toMatchObject({
        code: 'ALERT_NOT_FOUND',
      });
      expect((await store.alerts.findById('ack-1'))?.rev).toBe(3);
    });
  });

  describe('mutation ledger', () => {
    const claimOf = (id: string, overrides: Partial<MutationWork['claim']> = {}): MutationWork['claim'] => ({
      id,
      userId: 'staff-1',
      deviceId: 'device-1',
      name: 'checkin.record',
      argsHash: `args-${id}`,
      hlc: '0001',
      ...overrides,
    });
    const work = (
      id: string,
      apply: MutationWork['apply'],
      overrides: Partial<MutationWork['claim']> = {},
    ): MutationWork => ({
      claim: claimOf(id, overrides),
      apply,
    });

    it('applies each mutation exactly once; a repeat answers the stored results and writes nothing', async () => {
      const event = await createEvent(store);
      const { row: booking } = await store.bookings.book(bookInput(event));
      const items = Array.from({ length: 3 }, (_v, i) =>
        work(uid('m'), {
          kind: 'recordCheckIn',
          row: scan(booking, { hlc: `000${i}` }),
          deriveAlerts: deriveDuplicates,
        }),
      );
      expect(await store.mutations.applyBatch(items)).toEqual([
        { status: 'applied' },
        { status: 'applied' },
        { status: 'applied' },
      ]);
      const headAfter = await head(store, eventBucket(event.id));
      expect(await store.checkins.countForEvent(event.id)).toBe(3);
      expect(await store.alerts.listForEvent(event.id, 10)).toHaveLength(2);
      expect(await store.mutations.applyBatch(items)).toEqual([
        { status: 'applied' },
        { status: 'applied' },
        { status: 'applied' },
      ]);
      expect(await head(store, eventBucket(event.id))).toBe(headAfter);
      expect(await store.mutations.find(items[0]!.claim.id)).toEqual({
        ...items[0]!.claim,
        status: 'done',
        result: { status: 'applied' },
      });
      expect(await store.mutations.find('unknown')).toBeNull();
    });

    it('answers MUTATION_ID_REUSED for the same id with another user, name or args, without storing it', async () => {
      const event = await createEvent(store);
      const { row: booking } = await store.bookings.book(bookInput(event));
      const id = uid('m');
      const original = work(id, { kind: 'recordCheckIn', row: scan(booking), deriveAlerts: noAlerts });
      await store.mutations.applyBatch([original]);
      const other = { kind: 'recordCheckIn' as const, row: scan(booking), deriveAlerts: noAlerts };
      const results = await store.mutations.applyBatch([
        work(id, other, { argsHash: 'different' }),
        work(id, other, { userId: 'someone-else' }),
        work(id, other, { name: 'booking.cancel' }),
      ]);
      expect(results.map((result) => (result.status === 'rejected' ? result.code : result.status))).toEqual([
        'MUTATION_ID_REUSED',
        'MUTATION_ID_REUSED',
        'MUTATION_ID_REUSED',
      ]);
      expect(await store.mutations.find(id)).toMatchObject({
        argsHash: original.claim.argsHash,
        result: { status: 'applied' },
      });
      expect(await store.checkins.countForEvent(event.id)).toBe(1);
    });

    it('records a rejected op and still applies the items after it', async () => {
      const event = await createEvent(store, { capacity: 1 });
      const { row: booking } = await store.bookings.book(bookInput(event));
      const refused = work(
        uid('m'),
        { kind: 'book', input: bookInput(event, { source: 'walkIn' }) },
        { name: 'booking.walkIn' },
      );
      const decided = work(uid('m'), {
        kind: 'reject',
        result: { status: 'rejected', code: 'FORBIDDEN', message: 'no' },
      });
      const accepted = work(uid('m'), { kind: 'recordCheckIn', row: scan(booking), deriveAlerts: noAlerts });
      const cancel = work(uid('m'), {
        kind: 'cancelBooking',
        bookingId: booking.id,
        at: AT,
        mailFor: () => ['bookingCancelled'],
      });
      const results = await store.mutations.applyBatch([refused, decided, accepted, cancel]);
      expect(results).toEqual([
        { status: 'rejected', code: 'SOLD_OUT', message: 'Not enough seats left for this request' },
        { status: 'rejected', code: 'FORBIDDEN', message: 'no' },
        { status: 'applied' },
        { status: 'applied' },
      ]);
      expect((await store.mutations.find(refused.claim.id))?.result).toEqual(results[0]);
      expect(await store.bookings.findById((refused.apply as { input: BookInput }).input.booking.id)).toBeNull();
      expect(await store.checkins.countForEvent(event.id)).toBe(1);
      expect((await store.bookings.findById(booking.id))?.status).toBe('cancelled');
      // Repeated after the seat came free: still the stored answer, not a new attempt.
      expect(await store.mutations.applyBatch([refused])).toEqual([results[0]]);
      expect(await store.bookings.findById((refused.apply as { input: BookInput }).input.booking.id)).toBeNull();
    });

    it('rejects the whole call when an op fails unexpectedly, stores no result for it, and applies on retry', async () => {
      const event = await createEvent(store);
      const { row: booking } = await store.bookings.book(bookInput(event));
      const fine = work(uid('m'), { kind: 'recordCheckIn', row: scan(booking), deriveAlerts: noAlerts });
      const broken = work(uid('m'), failingEdit(event.id));
      await expect(store.mutations.applyBatch([fine, broken])).rejects.toThrow('a bug');
      // No result is stored for it (MongoDB may keep its claim, `applying`, under a lease).
      const entry = await store.mutations.find(broken.claim.id);
      expect(entry === null || entry.status === 'applying').toBe(true);
      expect(entry?.result ?? null).toBeNull();
      // The device's retry: each mutation applied once in all.
      expect(await store.mutations.applyBatch([fine])).toEqual([{ status: 'applied' }]);
      expect(await store.checkins.countForEvent(event.id)).toBe(1);
      expect((await store.mutations.find(fine.claim.id))?.result).toEqual({ status: 'applied' });
    });

    it('applies a chunk of check-ins as one at a time would: repeats, conflicts, other events, alerts, seqs without holes', async () => {
      const event = await createEvent(store);
      const other = await createEvent(store);
      const { row: first } = await store.bookings.book(bookInput(event));
      const { row: second } = await store.bookings.book(bookInput(event));
      const { row: elsewhere } = await store.bookings.book(bookInput(other));
      const taken = scan(first, { hlc: '0001' });
      await store.checkins.record(taken, noAlerts);
      const seen: Array<[string, number]> = [];
      const derive: DeriveAlerts = (bookingRow, scanRow, history) => {
        seen.push([scanRow.id, history.length]);
        return deriveDuplicates(bookingRow, scanRow, history);
      };
      const checkIn = (row: ReturnType<typeof scan>) =>
        work(uid('m'), { kind: 'recordCheckIn', row, deriveAlerts: derive });
      const again = scan(first, { hlc: '0002' });
      const entry = scan(second, { hlc: '0003' });
      const reentry = scan(second, { hlc: '0004', gate: 'south' });
      const items = [
        checkIn(again),
        checkIn(entry),
        checkIn({ ...taken, gate: 'south' }),
        checkIn(taken),
        work(uid('m'), { kind: 'reject', result: { status: 'rejected', code: 'FORBIDDEN', message: 'no' } }),
        checkIn({ ...scan(elsewhere), eventId: event.id }),
        checkIn(reentry),
        checkIn(reentry),
        checkIn({ ...reentry, direction: 'out' }),
      ];
      items.push(items[0]!);
      const codes = (results: StoredResult[]) =>
        results.map((result) => (result.status === 'rejected' ? result.code : result.status));
      const expected = [
        'applied',
        'applied',
        'CONFLICT',
        'applied',
        'FORBIDDEN',
        'NOT_FOUND',
        'applied',
        'applied',
        'CONFLICT',
        'applied',
      ];
      expect(codes(await store.mutations.applyBatch(items))).toEqual(expected);
      // Each scan saw its booking's scans up to itself: the run's later rows never (MongoDB applies
      // scans of different bookings side by side, so the calls are compared in no order).
      const byId = (entries: Array<[string, number]>) => entries.map((entry) => entry.join(' ')).sort();
      expect(byId(seen)).toEqual(
        byId([
          [again.id, 2],
          [entry.id, 1],
          [taken.id, 2],
          [reentry.id, 2],
          [reentry.id, 2],
        ]),
      );
      const alerts = await store.alerts.listForEvent(event.id, 10);
      expect(alerts.map((alert) => [alert.id, alert.firstCheckinId]).sort()).toEqual(
        [
          [`dup-${again.id}`, taken.id],
          [`dup-${reentry.id}`, entry.id],
        ].sort(),
      );
      expect(await store.checkins.countForEvent(event.id)).toBe(4);
      const logged = await allChanges(store, eventBucket(event.id));
      expect(logged.map((change) => change.seq)).toEqual(logged.map((_change, index) => index + 1));
      expect(
        logged
          .filter((change) => change.type === 'checkin')
          .map((change) => change.id)
          .sort(),
      ).toEqual([taken.id, again.id, entry.id, reentry.id].sort());
      expect(logged.filter((change) => change.type === 'alert')).toHaveLength(2);
      // A retried push: the same answers, nothing written.
      const headAfter = await head(store, eventBucket(event.id));
      expect(codes(await store.mutations.applyBatch(items))).toEqual(expected);
      expect(await head(store, eventBucket(event.id))).toBe(headAfter);
      expect((await store.mutations.find(items[2]!.claim.id))?.result).toMatchObject({ code: 'CONFLICT' });
    });

    it('applies a large batch in order and pokes watchers after it commits', async () => {
      const event = await createEvent(store, {
        capacity: 1_000,
        ticketTypes: [{ id: GENERAL, name: 'General', price: 0, quota: 1_000 }],
      });
      const heard: CommittedChange[] = [];
      const unsubscribe = store.changes.watch((change) => heard.push(change));
      const items = Array.from({ length: 250 }, (_v, i) =>
        work(uid('m'), { kind: 'book', input: bookInput(event, { source: 'walkIn', createdAt: isoAt(i) }) }),
      );
      const results = await store.mutations.applyBatch(items);
      unsubscribe();
      expect(results.every((result) => result.status === 'applied')).toBe(true);
      expect((await store.events.findById(event.id))?.bookedCount).toBe(250);
      const bucketHead = await head(store, eventBucket(event.id));
      await expect.poll(() => Math.max(0, ...heard.map((change) => change.seq))).toBe(bucketHead);
      const listed = await store.bookings.listForEvent(event.id, {}, undefined, 300);
      expect(listed.map((row) => row.id)).toEqual(
        items.map((item) => (item.apply as { input: BookInput }).input.booking.id),
      );
    });
  });

  describe('mail', () => {
    it('does not queue a message of a booking erased since it was composed', async () => {
      const event = await createEvent(store);
      const { row } = await store.bookings.book(bookInput(event));
      const composed = mailMessage(`bookingConfirmed:${row.id}`, { bookingId: row.id, eventId: event.id });
      const erased = await store.bookings.erase(row.id, { at: AT, alertText: (alert) => alert.message });
      expect(erased?.changed).toBe(true);
      expect(await store.mail.enqueue([composed, mailMessage(uid('other'))], messageIdOf, 1_000)).toBe(1);
      const queued = await store.mail.list({}, undefined, 100);
      expect(queued.some((message) => message.bookingId === row.id)).toBe(false);
    });

    it('queues once, leases the oldest due message, and records outcomes only under the live claim', async () => {
      expect(await store.mail.enqueue([mailMessage('m1')], messageIdOf, 1_000)).toBe(1);
      expect(await store.mail.enqueue([mailMessage('m2')], messageIdOf, 1_500)).toBe(1);
      expect(await store.mail.enqueue([mailMessage('m1'), mailMessage('m3')], messageIdOf, 2_000)).toBe(1);
      expect(await store.mail.enqueue([], messageIdOf, 2_000)).toBe(0);
      expect(await store.mail.claim('w1', 10_000, 500)).toBeNull();

      const first = await store.mail.claim('w1', 10_000, 2_000);
      expect(first).toMatchObject({
        id: 'm1',
        status: 'sending',
        attempts: 1,
        claimSeq: 1,
        leaseOwner: 'w1',
        leaseUntilMs: 12_000,
        messageId: '<m1@gatehouse.test>',
        createdAtMs: 1_000,
        nextAttemptAtMs: 1_000,
      });
      const second = await store.mail.claim('w2', 10_000, 3_000);
      const third = await store.mail.claim('w2', 10_000, 3_000);
      expect([second?.id, third?.id]).toEqual(['m2', 'm3']);
      expect(await store.mail.claim('w3', 10_000, 3_000)).toBeNull();

      // m1's lease runs out: another worker takes it over, and the first one's outcome no longer counts.
      const retaken = await store.mail.claim('w3', 10_000, 12_000);
      expect(retaken).toMatchObject({ id: 'm1', claimSeq: 2, attempts: 2, leaseOwner: 'w3', leaseUntilMs: 22_000 });
      expect(await store.mail.markSent('m1', 1, 12_001)).toBe(false);
      expect(await store.mail.markSent('m1', 2, 12_001)).toBe(true);
      expect(await store.mail.markSent('m1', 2, 12_002)).toBe(false);
      expect(await store.mail.markDead('m3', 99, 'x')).toBe(false);
      expect(await store.mail.markSent('m3', third!.claimSeq, 12_003)).toBe(true);

      expect(await store.mail.markRetry('m2', second!.claimSeq, 'smtp 451', 50_000)).toBe(true);
      expect(await store.mail.claim('w4', 10_000, 49_999)).toBeNull();
      const retry = await store.mail.claim('w4', 10_000, 50_000);
      expect(retry).toMatchObject({ id: 'm2', attempts: 2, claimSeq: 2, lastError: 'smtp 451' });
      expect(await store.mail.markDead('m2', retry!.claimSeq, 'smtp 550')).toBe(true);

      expect(await store.mail.countByStatus()).toEqual({ pending: 0, sending: 0, sent: 2, dead: 1, discarded: 0 });
      const sent = await store.mail.list({ status: 'sent' }, undefined, 10);
      expect(sent.map((row) => [row.id, row.sentAtMs, row.leaseOwner])).toEqual([
        ['m3', 12_003, null],
        ['m1', 12_001, null],
      ]);
      expect((await store.mail.list({ status: 'dead' }, undefined, 10))[0]).toMatchObject({
        id: 'm2',
        lastError: 'smtp 550',
      });
    });

    it('lists newest first with paging and moves messages between statuses', async () => {
      for (let i = 0; i < 5; i++) await store.mail.enqueue([mailMessage(`m${i}`)], messageIdOf, 1_000 + (i % 3));
      const page = await store.mail.list({}, undefined, 2);
      expect(page.map((row) => row.id)).toEqual(['m2', 'm4', 'm1']);
      const next = await store.mail.list({}, { value: page[1]!.createdAtMs, id: page[1]!.id }, 10);
      expect(next.map((row) => row.id)).toEqual(['m1', 'm3', 'm0']);
      expect(page[0]).toMatchObject({ html: '<p>Hello</p>', text: 'Hello', to: 'ada@example.org' });

      const claimed = (await store.mail.claim('w', 1_000, 5_000))!;
      await store.mail.markDead(claimed.id, claimed.claimSeq, 'bounced');
      await rejectsWith(
        store.mail.transition('nope', ['dead'], { status: 'pending', nowMs: 9_000, resetAttempts: true }),
        'NOT_FOUND',
      );
      await rejectsWith(
        store.mail.transition('m2', ['dead'], { status: 'pending', nowMs: 9_000, resetAttempts: true }),
        'CONFLICT',
      );
      const revived = await store.mail.transition(claimed.id, ['dead', 'discarded'], {
        status: 'pending',
        nowMs: 9_000,
        resetAttempts: true,
      });
      expect(revived).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAtMs: 9_000, claimSeq: 1 });
      const discarded = await store.mail.transition('m2', ['dead', 'pending'], {
        status: 'discarded',
        nowMs: 9_000,
        resetAttempts: false,
      });
      expect(discarded.status).toBe('discarded');
      expect((await store.mail.list({ status: 'discarded' }, undefined, 10)).map((row) => row.id)).toEqual(['m2']);
      expect(await store.mail.countByStatus()).toEqual({ pending: 4, sending: 0, sent: 0, dead: 0, discarded: 1 });
    });

    it('keeps hand-offs from row writes until cleared item by item, bookings first, and fan-out markers', async () => {
      const event = await createEvent(store);
      const { row } = await store.bookings.book(bookInput(event, { mail: ['bookingConfirmed'] }));
      await store.events.update(event.id, () => ({ set: { venue: 'Hall Two' }, mail: ['eventChanged:3'] }));
      const before = await store.mail.handoffs(10);
      expect(before.map((handoff) => handoff.kind)).toEqual(['booking', 'event']);
      const bookingHandoff = before[0]!;
      expect(bookingHandoff).toEqual({ kind: 'booking', rowId: row.id, items: ['bookingConfirmed'], rev: 1 });
      // A cancel after the sweep read the hand-off adds an item that clearing must not remove.
      await store.bookings.cancel(row.id, AT, () => ['bookingCancelled']);
      await store.mail.clearHandoff(bookingHandoff);
      expect(await store.mail.handoffs(10)).toEqual([
        { kind: 'booking', rowId: row.id, items: ['bookingCancelled'], rev: 2 },
        before[1],
      ]);
      await store.mail.clearHandoff({ kind: 'booking', rowId: row.id, items: ['bookingCancelled'], rev: 2 });
      await store.mail.clearHandoff(before[1]!);
      expect(await store.mail.handoffs(10)).toEqual([]);
      await store.bookings.book(bookInput(event, { mail: [] }));
      expect(await store.mail.handoffs(10)).toEqual([]);

      expect(await store.mail.fanOutDone(`${event.id}:eventChanged:3`)).toBe(false);
      await store.mail.markFanOutDone(`${event.id}:eventChanged:3`, 1_000);
      await store.mail.markFanOutDone(`${event.id}:eventChanged:3`, 2_000);
      expect(await store.mail.fanOutDone(`${event.id}:eventChanged:3`)).toBe(true);
    });

    it('limits hand-offs per kind', async () => {
      const event = await createEvent(store);
      for (let i = 0; i < 3; i++) await store.bookings.book(bookInput(event));
      await store.events.update(event.id, () => ({ set: { status: 'cancelled' }, mail: ['eventCancelled'] }));
      const handoffs = await store.mail.handoffs(2);
      expect(handoffs.map((handoff) => handoff.kind)).toEqual(['booking', 'booking', 'event']);
    });

    it('lists hand-offs oldest first, by when they were first recorded, not by row id', async () => {
      const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
      const event = await createEvent(store);
      // Ids that sort the other way round from the order in which their hand-offs are recorded.
      const ids = ['bk-c', 'bk-b', 'bk-a'].map((prefix) => `${prefix}-${randomUUID()}`);
      for (const id of ids) {
        await store.bookings.book(bookInput(event, { id, mail: ['bookingConfirmed'] }));
        await tick();
      }
      const bookingIds = async (limit: number) =>
        (await store.mail.handoffs(limit)).filter((handoff) => handoff.kind === 'booking').map((h) => h.rowId);
      expect(await bookingIds(10)).toEqual(ids);
      expect(await bookingIds(2)).toEqual(ids.slice(0, 2));
      // More mail owed on a waiting hand-off keeps its place.
      await store.bookings.cancel(ids[0]!, isoAt(1), () => ['bookingCancelled']);
      await tick();
      expect(await bookingIds(10)).toEqual(ids);
      // One cleared and then owed again is recorded anew: it goes to the back.
      const second = (await store.mail.handoffs(10)).find((handoff) => handoff.rowId === ids[1])!;
      await store.mail.clearHandoff(second);
      await store.bookings.cancel(ids[1]!, isoAt(2), () => ['bookingCancelled']);
      expect(await bookingIds(10)).toEqual([ids[0], ids[2], ids[1]]);

      const events = [await createEvent(store, { id: `ev-z-${randomUUID()}` })];
      events.push(await createEvent(store, { id: `ev-y-${randomUUID()}` }));
      // Recorded z first, then y: the other way round from their ids.
      for (const [i, row] of events.entries()) {
        await store.events.update(row.id, () => ({
          set: { venue: `Hall ${i}` },
          mail: [`eventChanged:${row.rev + 1}`],
        }));
        await tick();
      }
      const eventIds = (await store.mail.handoffs(10))
        .filter((handoff) => handoff.kind === 'event')
        .map((handoff) => handoff.rowId);
      expect(eventIds).toEqual(events.map((row) => row.id));
    });
  });

  it('keeps the first value of a secret', async () => {
    expect(await store.secrets.ensure('jwt', 'first')).toBe('first');
    expect(await store.secrets.ensure('jwt', 'second')).toBe('first');
    expect(await store.secrets.ensure('other', 'x')).toBe('x');
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

// ─── SQLite only: the file, its lock, its limits ────────────────────────────────────────────────

describe('SQLite store file', () => {
  let directory: string;
  let file: string;
  beforeEach(() => {
    directory = mkdtempSync(path.join(tmpdir(), 'gatehouse-sqlite-'));
    file = path.join(directory, 'gatehouse.db');
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  async function openError(): Promise<Error> {
    const error = await failure(openSqliteStore({ file }));
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }

  it('creates the file with the Gatehouse application_id and reopens it with its data', async () => {
    const store = await openSqliteStore({ file });
    expect(store.kind).toBe('sqlite');
    expect(store.location).toBe(file);
    await store.users.create({ id: 'u1', email: 'a@x', name: 'A', role: 'admin', passwordHash: 'h', at: AT });
    await store.close();
    await store.close();
    await rejectsWith(store.users.findById('u1'), 'SERVICE_UNAVAILABLE');
    await rejectsWith(store.ping(), 'SERVICE_UNAVAILABLE');
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('application_id', { simple: true })).toBe(0x47485353);
    expect(raw.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const reopened = await openSqliteStore({ file });
    expect((await reopened.users.findById('u1'))?.email).toBe('a@x');
    expect(await head(reopened, userBucket('u1'))).toBe(1);
    await reopened.close();
  });

  it('refuses a file written by a newer server, naming the file and both versions', async () => {
    await (await openSqliteStore({ file })).close();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    const error = await openError();
    expect(error.message).toContain(file);
    expect(error.message).toContain('schema version 99');
    expect(error.message).toContain(`up to ${LATEST_SCHEMA_VERSION}`);
  });

  it('migrates a schema-1 file: hand-offs waiting in it keep their items and come before those recorded after', async () => {
    const raw = new Database(file);
    raw.exec(migration001.sql);
    raw.pragma('user_version = 1');
    raw
      .prepare('INSERT INTO mail_handoffs (kind, row_id, items, rev) VALUES (?, ?, ?, ?)')
      .run('booking', 'bk-z-from-before', '["bookingConfirmed"]', 1);
    raw.close();
    const store = await openSqliteStore({ file });
    try {
      const event = await createEvent(store);
      const { row } = await store.bookings.book(bookInput(event, { id: 'bk-a-after', mail: ['bookingConfirmed'] }));
      expect(await store.mail.handoffs(10)).toEqual([
        { kind: 'booking', rowId: 'bk-z-from-before', items: ['bookingConfirmed'], rev: 1 },
        { kind: 'booking', rowId: row.id, items: ['bookingConfirmed'], rev: 1 },
      ]);
    } finally {
      await store.close();
    }
    const reopened = new Database(file, { readonly: true });
    expect(reopened.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    reopened.close();
  });

  it('migration 008: events from before it do not allow staff walk-ins', async () => {
    const store = await openSqliteStore({ file });
    const event = await createEvent(store, { staffWalkIns: true });
    await store.close();
    // The events table as a schema-7 server left it (no column yet), then migration 008's step over
    // it, as opening a version-7 file does. Rewinding `user_version` instead would re-run every later
    // migration too, which only the last may bear.
    const raw = new Database(file);
    raw.exec('ALTER TABLE events DROP COLUMN staff_walk_ins');
    raw.exec(migration008.sql);
    raw.close();
    const reopened = await openSqliteStore({ file });
    try {
      expect((await reopened.events.findById(event.id))?.staffWalkIns).toBe(false);
    } finally {
      await reopened.close();
    }
  });

  it('refuses a file that is not SQLite, naming the file and leaving it alone', async () => {
    const garbage = randomBytes(8192);
    writeFileSync(file, garbage);
    const error = await openError();
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not an SQLite database/);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });

  it('refuses another application’s SQLite file, and one that carries our id without our marker', async () => {
    const foreign = new Database(file);
    foreign.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hi')");
    foreign.close();
    const before = readFileSync(file);
    const error = await openError();
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/another application/);
    expect(readFileSync(file).equals(before)).toBe(true);

    const impostor = new Database(file);
    impostor.pragma(`application_id = ${0x47485353}`);
    impostor.close();
    const second = await openError();
    expect(second.message).toContain(file);
    expect(second.message).toMatch(/no gatehouse_meta table/);
  });

  it('refuses a second open of the same file while the first is open, and allows it after close', async () => {
    const store = await openSqliteStore({ file });
    const error = await openError();
    expect(error.message).toContain(`${file} is in use by another Gatehouse server process`);
    // The refused open changed nothing: the first store works on.
    await store.users.create({ id: 'u1', email: 'a@x', name: 'A', role: 'admin', passwordHash: 'h', at: AT });
    await store.close();
    const again = await openSqliteStore({ file });
    expect((await again.users.findById('u1'))?.name).toBe('A');
    await again.close();
  });

  it('refuses to open a file another process holds, and opens it at once after that process is killed', async () => {
    const index = fileURLToPath(new URL('../src/store/sqlite/index.ts', import.meta.url));
    // tsx's loader in this very process (its CLI would run the script in a grandchild, which a kill would orphan).
    const tsxLoader = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
    const script = path.join(directory, 'holder.mts');
    writeFileSync(
      script,
      [
        `import { openSqliteStore } from ${JSON.stringify(index)};`,
        `const store = await openSqliteStore({ file: ${JSON.stringify(file)} });`,
        `await store.users.create({ id: 'u1', email: 'a@x', name: 'A', role: 'admin', passwordHash: 'h', at: '${AT}' });`,
        `process.stdout.write('ready\\n');`,
        `setInterval(() => {}, 1000);`,
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', tsxLoader, script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`holder did not start: ${stderr}`)), 30_000);
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`holder exited (${code}): ${stderr}`)));
      });
      const error = await openError();
      expect(error.message).toContain(`${file} is in use by another Gatehouse server process`);
      // The file stays readable to others (an online backup) while the server holds it.
      const reader = new Database(file, { readonly: true });
      expect(reader.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 1 });
      reader.close();
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const store = await openSqliteStore({ file });
    expect((await store.users.findById('u1'))?.email).toBe('a@x');
    await store.close();
  });

  it('commits a batch’s effects, change-log appends and ledger records together: an unexpected failure leaves nothing', async () => {
    const store = await openSqliteStore({ file });
    try {
      const event = await createEvent(store);
      const { row: booking } = await store.bookings.book(bookInput(event));
      const headBefore = await head(store, eventBucket(event.id));
      const checkin = scan(booking);
      const heard: CommittedChange[] = [];
      const unsubscribe = store.changes.watch((change) => heard.push(change));
      const batch: MutationWork[] = [
        { claim: ledgerClaim('m-fine'), apply: { kind: 'recordCheckIn', row: checkin, deriveAlerts: noAlerts } },
        { claim: ledgerClaim('m-walkin'), apply: { kind: 'book', input: bookInput(event, { source: 'walkIn' }) } },
        {
          claim: ledgerClaim('m-broken'),
          apply: failingEdit(event.id),
        },
      ];
      await expect(store.mutations.applyBatch(batch)).rejects.toThrow('a bug');
      unsubscribe();
      expect(await store.checkins.findById(checkin.id)).toBeNull();
      expect(await store.mutations.find('m-fine')).toBeNull();
      expect(await store.mutations.find('m-walkin')).toBeNull();
      expect((await store.events.findById(event.id))?.bookedCount).toBe(1);
      expect(await head(store, eventBucket(event.id))).toBe(headBefore);
      expect(await store.mail.handoffs(10)).toHaveLength(1);
      expect(heard).toEqual([]);
      // The next commit announces its own head, nothing of the batch that was undone.
      const next: CommittedChange[] = [];
      const listen = store.changes.watch((change) => next.push(change));
      await store.checkins.record(checkin, noAlerts);
      listen();
      expect(next).toEqual([{ bucket: eventBucket(event.id), seq: headBefore + 1 }]);
    } finally {
      await store.close();
    }
  });

  it('keeps a push’s chunks before an unexpected failure and applies none after it; another push is unaffected', async () => {
    const store = await openSqliteStore({ file });
    try {
      const event = await createEvent(store);
      const { row: booking } = await store.bookings.book(bookInput(event));
      const checkIn = (id: string): MutationWork => ({
        claim: ledgerClaim(id),
        apply: { kind: 'recordCheckIn', row: scan(booking), deriveAlerts: noAlerts },
      });
      // Three chunks of the ledger (100 each), waiting for the same group commit: the second fails.
      const failing = Array.from({ length: 250 }, (_, index) => checkIn(`m-${index}`));
      failing[150] = {
        claim: ledgerClaim('m-150'),
        apply: failingEdit(event.id),
      };
      const [outcome, other] = await Promise.allSettled([
        store.mutations.applyBatch(failing),
        store.mutations.applyBatch([checkIn('other')]),
      ]);
      expect(outcome).toMatchObject({ status: 'rejected', reason: new TypeError('a bug') });
      expect(other).toEqual({ status: 'fulfilled', value: [{ status: 'applied' }] });
      const recorded = async (index: number) => (await store.mutations.find(`m-${index}`)) !== null;
      for (const index of [0, 99]) expect(await recorded(index)).toBe(true);
      for (const index of [100, 149, 151, 199, 200, 249]) expect(await recorded(index)).toBe(false);
      expect(await store.checkins.listForBooking(booking.id)).toHaveLength(101);
      // The device's retry applies the rest, in order, and answers the first chunk from the ledger.
      failing[150] = checkIn('m-150');
      const retried = await store.mutations.applyBatch(failing);
      expect(retried.every((result) => result.status === 'applied')).toBe(true);
      expect(await store.checkins.listForBooking(booking.id)).toHaveLength(251);
    } finally {
      await store.close();
    }
  });

  it('undoes a rejected op’s partial writes with its savepoint: never announced, its seqs reused', async () => {
    const store = await openSqliteStore({ file });
    try {
      const event = await createEvent(store, { capacity: 1 });
      const { row: booking } = await store.bookings.book(bookInput(event));
      const bucket = eventBucket(event.id);
      const headBefore = await head(store, bucket);
      const walkIn = bookInput(event, {
        source: 'walkIn',
        limits: 'flag',
        // The booking and the event's counts are written and logged before the alert is built.
        overCapacityAlert: () => {
          throw new GatehouseError('UNPROCESSABLE', 'refused after writing');
        },
      });
      const accepted = scan(booking);
      const heard: CommittedChange[] = [];
      const unsubscribe = store.changes.watch((change) => heard.push(change));
      const results = await store.mutations.applyBatch([
        { claim: ledgerClaim('m-refused'), apply: { kind: 'book', input: walkIn } },
        { claim: ledgerClaim('m-accepted'), apply: { kind: 'recordCheckIn', row: accepted, deriveAlerts: noAlerts } },
      ]);
      unsubscribe();
      expect(results).toEqual([
        { status: 'rejected', code: 'UNPROCESSABLE', message: 'refused after writing' },
        { status: 'applied' },
      ]);
      expect(await store.bookings.findById(walkIn.booking.id)).toBeNull();
      expect((await store.events.findById(event.id))?.bookedCount).toBe(1);
      const changes = (await allChanges(store, bucket)).filter((change) => change.seq > headBefore);
      expect(changes.map((change) => [change.seq, change.id])).toEqual([[headBefore + 1, accepted.id]]);
      expect(heard).toEqual([{ bucket, seq: headBefore + 1 }]);
    } finally {
      await store.close();
    }
  });

  it('answers SERVER_STORAGE_FULL when the disk is full, with nothing half-written', async () => {
    const setup = await openSqliteStore({ file });
    const event = await createEvent(setup, { capacity: 100_000 });
    await setup.close();
    // No room beyond the pages the file holds now.
    const store = await openSqliteStore({ file, maxPageCount: 1 });
    let full: GatehouseError | null = null;
    let failedId = '';
    let booked = 0;
    for (let i = 0; i < 5_000 && !full; i++) {
      const input = bookInput(event, {
        attendee: { name: `Person${i} Surname${i}`, email: `person${i}@example.org` },
        createdAt: isoAt(i),
      });
      try {
        await store.bookings.book(input);
        booked += 1;
      } catch (error) {
        full = error as GatehouseError;
        failedId = input.booking.id;
      }
    }
    expect(full).toBeInstanceOf(GatehouseError);
    expect(full!.code).toBe('SERVER_STORAGE_FULL');
    expect(full!.status).toBe(503);
    // The failed booking left no trace: no row, no words, no seats, no change, no hand-off.
    expect(await store.bookings.findById(failedId)).toBeNull();
    const listed = await store.bookings.listForEvent(event.id, {}, undefined, 10_000);
    expect(listed).toHaveLength(booked);
    expect(await store.bookings.listForEvent(event.id, { words: [`person${booked}`] }, undefined, 10)).toEqual([]);
    expect((await store.events.findById(event.id))?.bookedCount).toBe(booked);
    const changes = await allChanges(store, eventBucket(event.id));
    expect(changes.map((change) => change.seq)).toEqual(Array.from({ length: changes.length }, (_v, i) => i + 1));
    expect(changes.length).toBe(2 + 2 * booked);
    expect(await head(store, eventBucket(event.id))).toBe(changes.length);
    expect((await store.mail.handoffs(10_000)).filter((handoff) => handoff.rowId === failedId)).toEqual([]);
    // A batch that runs out of room rejects as a whole, and its mutations stay unrecorded for the retry.
    const batch = Array.from({ length: 50 }, (_v, i) => ({
      claim: { id: `m-${i}`, userId: 'u', deviceId: 'd', name: 'booking.walkIn', argsHash: `h${i}`, hlc: '1' },
      apply: {
        kind: 'book' as const,
        input: bookInput(event, { attendee: { name: `Batch ${i} ${'x'.repeat(200)}` } }),
      },
    }));
    await rejectsWith(store.mutations.applyBatch(batch), 'SERVER_STORAGE_FULL');
    expect(await store.mutations.find('m-0')).toBeNull();
    expect((await store.events.findById(event.id))?.bookedCount).toBe(booked);
    await store.close();
    // With room again, the same file carries on.
    const roomy = await openSqliteStore({ file });
    await roomy.bookings.book(bookInput(event));
    expect((await roomy.events.findById(event.id))?.bookedCount).toBe(booked + 1);
    await roomy.close();
  });
});
