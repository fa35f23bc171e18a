import { randomBytes, randomUUID } from 'node:crypto';
import { type Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { openMongoStore, type MongoStore, type MongoStoreOptions } from '../src/store/mongodb/index';
import type { BookInput, DeriveAlerts, MutationWork, Store } from '../src/store/port';
import type { BookingRow, CheckinRow, EventRow, StoredResult, TicketKeyRow } from '../src/store/rows';

/**
 * Rows and pushed mutations the MongoDB adapter's own suites (store-mongodb*.int.test.ts) build:
 * an event with one ticket type, a booking of it, a scan of a booking, a check-in as a push hands it
 * to the ledger, and a claim a crashed process left behind.
 */

export const AT = '2026-05-01T10:00:00.000Z';
export const STARTS = '2026-06-01T18:00:00.000Z';
export const ENDS = '2026-06-01T22:00:00.000Z';
export const GENERAL = 'tt_general';

/**
 * A suite's stores on the test FerretDB, each in a database of its own (`prefix` + random hex), all
 * closed after the suite, with `defaults` under each `open`'s options; `db` reads a database
 * behind the adapter's back. Registers the suite's beforeAll/afterAll hooks: call it at top level.
 */
export function mongoTestStores(
  prefix: string,
  defaults: Partial<MongoStoreOptions> = {},
): {
  dbName: () => string;
  open: (options: Partial<MongoStoreOptions> & { dbName: string }) => Promise<MongoStore>;
  db: (name: string) => Db;
} {
  let client: MongoClient;
  const opened: MongoStore[] = [];
  beforeAll(async () => {
    client = new MongoClient(inject('mongoUri'));
    await client.connect();
  });
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await client.close();
  });
  return {
    dbName: () => `${prefix}_${randomBytes(6).toString('hex')}`,
    async open(options) {
      const store = await openMongoStore({ uri: inject('mongoUri'), ...defaults, ...options });
      opened.push(store);
      return store;
    },
    db: (name) => client.db(name),
  };
}

/** A unique id with a readable prefix. */
export const uid = (prefix: string) => `${prefix}-${randomUUID()}`;
export const noAlerts: DeriveAlerts = () => [];

/** A published event (capacity 100, one free ticket type `GENERAL`) and its ticket key. */
export async function createEvent(store: Store, overrides: Partial<EventRow> = {}): Promise<EventRow> {
  const id = uid('ev');
  const row: Omit<EventRow, 'rev'> = {
    id,
    title: 'Door test',
    description: '',
    venue: 'Hall',
    startsAt: STARTS,
    endsAt: ENDS,
    startsAtMs: Date.parse(STARTS),
    endsAtMs: Date.parse(ENDS),
    timezone: 'UTC',
    capacity: 100,
    status: 'published',
    ticketTypes: [{ id: GENERAL, name: 'General', price: 0, quota: 100 }],
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
  const key: Omit<TicketKeyRow, 'rev'> = {
    id: uid('key'),
    eventId: id,
    kid: `kid-${randomBytes(4).toString('hex')}`,
    publicKey: 'PUBLIC',
    privateKey: 'PRIVATE',
    createdAt: AT,
    retiredAt: null,
  };
  return store.events.insert(row, key);
}

/** One online booking of one `GENERAL` ticket, limits enforced. */
export function bookInput(event: EventRow, overrides: Partial<BookInput['booking']> = {}): BookInput {
  const id = randomUUID();
  return {
    booking: {
      id,
      eventId: event.id,
      userId: 'buyer',
      ticketTypeId: GENERAL,
      quantity: 1,
      attendee: { name: 'Ada Lovelace', email: 'ada@example.org' },
      source: 'online',
      createdAt: AT,
      ...overrides,
    },
    limits: 'enforce',
    statuses: ['published'],
    codes: (attempt) => `C${id.slice(0, 6).toUpperCase()}${attempt}`,
    mail: [],
  };
}

/** An entry scan of `booking` at the north gate with a fresh check-in id. */
export function scan(booking: BookingRow, overrides: Partial<CheckinRow> = {}): Omit<CheckinRow, 'rev'> {
  return {
    id: uid('ci'),
    eventId: booking.eventId,
    bookingId: booking.id,
    gate: 'north',
    direction: 'in',
    scannedAt: AT,
    deviceId: 'device-1',
    staffId: 'staff-1',
    hlc: `${String(Date.now()).padStart(15, '0')}-0000-dev`,
    receivedAt: AT,
    ...overrides,
  };
}

/** A check-in as a push hands it to the ledger: its own mutation id, the claim a push makes. */
export function pushedCheckIn(row: Omit<CheckinRow, 'rev'>, deriveAlerts: DeriveAlerts = noAlerts): MutationWork {
  const id = randomUUID();
  return {
    claim: {
      id,
      userId: 'staff-1',
      deviceId: 'device-1',
      name: 'checkin.record',
      argsHash: `hash-${id}`,
      hlc: row.hlc,
    },
    apply: { kind: 'recordCheckIn', row, deriveAlerts },
  };
}

/** Per result `applied`, or the code it was rejected with. */
export const codesOf = (results: StoredResult[]) =>
  results.map((result) => (result.status === 'rejected' ? result.code : result.status));

/** A mutation's claim as the ledger stores it, left `applying` by a process that died (`claimedAt` `ageMs` ago). */
export async function claimLeftApplying(db: Db, work: MutationWork, ageMs: number): Promise<void> {
  await db.collection('mutations').insertOne({
    _id: work.claim.id,
    userId: work.claim.userId,
    deviceId: work.claim.deviceId,
    name: work.claim.name,
    argsHash: work.claim.argsHash,
    hlc: work.claim.hlc,
    status: 'applying',
    result: null,
    claimedAt: new Date(Date.now() - ageMs),
    appliedAt: null,
  } as never);
}
