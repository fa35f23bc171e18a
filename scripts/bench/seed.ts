import { randomBytes, randomUUID } from 'node:crypto';
import { eventBucket, signTicket, type Event } from '@gatehouse/protocol';
import type { Db } from 'mongodb';
import { bookingChange, newBookingCode, searchTermsOf, type BookingRow } from '../../sync-server/src/bookings/rows';
import { eventChange, type EventRow } from '../../sync-server/src/events/rows';
import { ChangeLog, type ChangeDoc } from '../../sync-server/src/sync/changelog';
import { TicketService } from '../../sync-server/src/tickets/service';
import { ensureUser } from '../../sync-server/src/users/seed';
import { UserStore } from '../../sync-server/src/users/store';
import { BenchApi } from './api';
import { requireRoute } from './routes';

/** Cheap hashes for bench accounts: sign-ins are set-up, not what is measured. */
const BENCH_SCRYPT_COST = 2 ** 12;
const CHUNK = 1_000;

export type BenchAccount = { id: string; email: string; password: string; accessToken: string };

export type Fixture = {
  eventId: string;
  ticketTypeId: string;
  bookingIds: string[];
  /** Rows in the event's bucket a fresh device downloads (event, key, bookings, ...). */
  bucketRows: number;
  organizer: BenchAccount;
  staff: BenchAccount;
  /** Signs real ticket tokens with the event's key, as `GET /bookings/:id/ticket` would. */
  tokenFor: (bookingId: string) => string;
};

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Ken',
  'Margaret',
  'Linus',
  'Radia',
  'Tim',
  'Frances',
  'John',
  'Sophie',
  'Leslie',
  'Hedy',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Thompson',
  'Hamilton',
  'Torvalds',
  'Perlman',
  'Berners-Lee',
  'Allen',
  'McCarthy',
  'Wilson',
  'Lamport',
  'Lamarr',
];

async function account(users: UserStore, api: BenchApi, role: 'organizer' | 'staff'): Promise<BenchAccount> {
  const email = `bench-${role}@gatehouse.local`;
  const password = `bench-${role}-password`;
  const { id } = await ensureUser(
    users,
    { email, password, name: `Bench ${role}`, role },
    { scryptCost: BENCH_SCRYPT_COST, resetPassword: true },
  );
  const session = await api.call<{ accessToken: string }>('POST', '/auth/login', { email, password });
  return { id, email, password, accessToken: session.accessToken };
}

export type EventSeed = Omit<Fixture, 'bookingIds' | 'bucketRows' | 'tokenFor'> & { startsAt: string; endsAt: string };

/**
 * Accounts and one published event, created over HTTP so the event's row, ticket key and change-log
 * entries are exactly what the server writes. Needs a running server.
 */
export async function seedEvent(options: { db: Db; baseUrl: string; bookings: number }): Promise<EventSeed> {
  const users = new UserStore(options.db);
  const anonymous = new BenchApi(options.baseUrl);
  const organizer = await account(users, anonymous, 'organizer');
  const staff = await account(users, anonymous, 'staff');
  const asOrganizer = anonymous.withToken(organizer.accessToken);

  const startsAt = new Date(Date.now() - 3600_000).toISOString();
  const endsAt = new Date(Date.now() + 6 * 3600_000).toISOString();
  const probe = await asOrganizer.raw('POST', '/events', {});
  await requireRoute(probe, 'POST /events');
  const event = await asOrganizer.call<Event>('POST', '/events', {
    title: `Bench conference ${new Date().toISOString().slice(0, 16)}`,
    description: 'Seeded by npm run bench',
    venue: 'Loopback Hall',
    startsAt,
    endsAt,
    timezone: 'Europe/Berlin',
    capacity: options.bookings + 10_000,
    status: 'published',
    ticketTypes: [{ name: 'General', price: 2500, quota: options.bookings + 10_000 }],
  });
  await requireRoute(await asOrganizer.raw('PUT', `/events/${event.id}/staff`, {}), 'PUT /events/:id/staff');
  await asOrganizer.call('PUT', `/events/${event.id}/staff`, { staffIds: [staff.id] });
  return { eventId: event.id, ticketTypeId: event.ticketTypes[0]!.id, organizer, staff, startsAt, endsAt };
}

/**
 * The event's bookings, bulk-inserted (the API would take many minutes for 100,000) together with
 * their change-log entries: the bucket counter is advanced by the whole batch in one `$inc`, and the
 * reserved seqs are inserted in ascending order, so a reader never sees a hole it could mistake for
 * a dead writer. Run with the sync server stopped: on FerretDB a steady stream of readers keeps
 * SQLite from checkpointing its WAL, which then grows to gigabytes and slows every insert.
 */
export async function seedBookings(options: {
  db: Db;
  seed: EventSeed;
  bookings: number;
  log: (line: string) => void;
}): Promise<Fixture> {
  const { db, seed } = options;
  const { organizer, ticketTypeId, startsAt, endsAt } = seed;
  const event = { id: seed.eventId };
  const changeLog = new ChangeLog(db);
  const tickets = new TicketService(db, changeLog);
  const bucket = eventBucket(event.id);
  const started = Date.now();
  const counter = await changeLog.counters.findOneAndUpdate(
    { _id: bucket },
    { $inc: { seq: options.bookings }, $set: { updatedAt: new Date() } },
    { upsert: true, returnDocument: 'after' },
  );
  let seq = counter!.seq - options.bookings;
  const bookingsCollection = db.collection<BookingRow>('bookings');
  const bookingIds: string[] = [];
  const createdBase = Date.now() - 30 * 86_400_000;
  for (let offset = 0; offset < options.bookings; offset += CHUNK) {
    const rows: BookingRow[] = [];
    const changes: ChangeDoc[] = [];
    const count = Math.min(CHUNK, options.bookings - offset);
    for (let i = 0; i < count; i++) {
      const n = offset + i;
      const name = `${FIRST[n % FIRST.length]} ${LAST[Math.floor(n / FIRST.length) % LAST.length]} ${n}`;
      const attendee = { name, email: `attendee${n}@example.test` };
      const code = newBookingCode(randomBytes(8));
      const row: BookingRow = {
        _id: randomUUID(),
        rev: 1,
        eventId: event.id,
        userId: organizer.id,
        ticketTypeId,
        quantity: 1,
        attendee,
        status: 'confirmed',
        source: 'online',
        overCapacity: false,
        code,
        createdAt: new Date(createdBase + n * 1000).toISOString(),
        cancelledAt: null,
        searchTerms: searchTermsOf(attendee, code),
        mailPending: [],
      };
      rows.push(row);
      bookingIds.push(row._id);
      seq += 1;
      const change = bookingChange(row);
      changes.push({
        _id: `${bucket}:${seq}`,
        bucket,
        seq,
        type: change.type,
        id: change.id,
        rev: 1,
        doc: change.doc,
        at: new Date(),
      });
    }
    await bookingsCollection.insertMany(rows, { ordered: false });
    await changeLog.changes.insertMany(changes, { ordered: true });
    if ((offset / CHUNK) % 20 === 19) options.log(`[bench] seeded ${offset + count} bookings`);
  }
  // Other server processes' live hubs follow `committedSeq`/`updatedAt` (see changelog.ts).
  await changeLog.counters.updateOne({ _id: bucket }, { $max: { committedSeq: seq }, $set: { updatedAt: new Date() } });
  // Seat counters as the booking path would have left them, logged so devices see the right totals.
  await changeLog.updateAndLog(
    db.collection<EventRow>('events'),
    { _id: event.id },
    {
      $inc: {
        bookedCount: options.bookings,
        seatsLeft: -options.bookings,
        [`typeSold.${ticketTypeId}`]: options.bookings,
        [`typeLeft.${ticketTypeId}`]: -options.bookings,
      },
    },
    eventChange,
  );
  options.log(`[bench] seeded ${options.bookings} bookings in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const bucketRows = await changeLog.changes.countDocuments({ bucket, type: { $ne: 'noop' } });
  // The newest unretired key signs, as TicketService.tokenFor does; read once instead of per token.
  const key = await tickets.keys
    .find({ eventId: event.id, retiredAt: null })
    .sort({ createdAt: -1, _id: -1 })
    .limit(1)
    .next();
  if (!key) throw new Error('the event has no ticket key');
  const claims = {
    kid: key.kid,
    eventId: event.id,
    ticketTypeId,
    validFrom: Math.floor(Date.parse(startsAt) / 1000),
    validUntil: Math.ceil(Date.parse(endsAt) / 1000),
  };
  return {
    eventId: event.id,
    ticketTypeId,
    bookingIds,
    bucketRows,
    organizer,
    staff: seed.staff,
    tokenFor: (bookingId) => signTicket({ ...claims, bookingId }, key.privateKey),
  };
}
