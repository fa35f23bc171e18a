import { randomBytes, randomUUID } from 'node:crypto';
import {
  bookingCodeFromBytes,
  eventBucket,
  signTicket,
  type Booking,
  type Event,
  type User,
} from '@gatehouse/protocol';
import type { StoreConfig } from '../../sync-server/src/config';
import { openStore, type StoreLog } from '../../sync-server/src/store/open';
import type { NewBooking } from '../../sync-server/src/store/port';
import { ensureUser } from '../../sync-server/src/users/seed';
import { BenchApi } from './api';
import { requireRoute } from './routes';
import { BENCH_ADMIN } from './server';

/** Cheap hashes for bench accounts: sign-ins are set-up, not what is measured (nor scrypt's 128 MiB in the server's RSS). */
const BENCH_SCRYPT_COST = 2 ** 12;
/** Bookings per `importMany` call: on SQLite one transaction each. */
const IMPORT_CHUNK = 5_000;

export type BenchAccount = { id: string; email: string; password: string; accessToken: string };

export type Fixture = {
  eventId: string;
  ticketTypeId: string;
  bookingIds: string[];
  /** Changes in the event's bucket a fresh device downloads (event, key, bookings, ...): the bucket's head seq. */
  bucketRows: number;
  organizer: BenchAccount;
  staff: BenchAccount;
  /** Signs real ticket tokens with the event's key, as `GET /bookings/:id/ticket` would. */
  tokenFor: (bookingId: string) => string;
  /** A search that finds exactly one booking, the last one seeded (so the last to reach a device). */
  searchProbe: { q: string; bookingId: string };
  /** The booking docs as devices receive them, for the peer (same ids, names, codes and sizes). */
  bookingDocs: () => Iterable<Booking>;
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

function attendeeName(n: number): { first: string; last: string; name: string } {
  const first = FIRST[n % FIRST.length]!;
  const last = LAST[Math.floor(n / FIRST.length) % LAST.length]!;
  return { first, last, name: `${first} ${last} ${n}` };
}

const ACCOUNT_PASSWORD = (role: string) => `bench-${role}-password`;

/** Registers the account over HTTP (an attendee), and the admin gives it its role. */
async function account(
  anonymous: BenchApi,
  admin: BenchApi,
  role: 'organizer' | 'staff',
): Promise<Omit<BenchAccount, 'accessToken'>> {
  const email = `bench-${role}@gatehouse.local`;
  const password = ACCOUNT_PASSWORD(role);
  const session = await anonymous.call<{ user: User }>('POST', '/auth/register', {
    email,
    password,
    name: `Bench ${role}`,
  });
  await admin.call('PATCH', `/users/${session.user.id}`, { role });
  return { id: session.user.id, email, password };
}

export async function login(api: BenchApi, account: Omit<BenchAccount, 'accessToken'>): Promise<BenchAccount> {
  const session = await api.call<{ accessToken: string }>('POST', '/auth/login', {
    email: account.email,
    password: account.password,
  });
  return { ...account, accessToken: session.accessToken };
}

export type EventSeed = {
  eventId: string;
  ticketTypeId: string;
  organizer: Omit<BenchAccount, 'accessToken'>;
  staff: Omit<BenchAccount, 'accessToken'>;
  startsAt: string;
  endsAt: string;
};

/**
 * Accounts and one published event, created over HTTP so the event's row, ticket key and change-log
 * entries are exactly what the server writes. Needs a running server.
 */
export async function seedEvent(options: { baseUrl: string; bookings: number }): Promise<EventSeed> {
  const anonymous = new BenchApi(options.baseUrl);
  const admin = anonymous.withToken(
    (await anonymous.call<{ accessToken: string }>('POST', '/auth/login', BENCH_ADMIN)).accessToken,
  );
  await requireRoute(await admin.raw('PATCH', '/users/probe', {}), 'PATCH /users/:id');
  const organizer = await account(anonymous, admin, 'organizer');
  const staff = await account(anonymous, admin, 'staff');
  const asOrganizer = anonymous.withToken((await login(anonymous, organizer)).accessToken);

  const startsAt = new Date(Date.now() - 3600_000).toISOString();
  const endsAt = new Date(Date.now() + 6 * 3600_000).toISOString();
  await requireRoute(await asOrganizer.raw('POST', '/events', {}), 'POST /events');
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

/** Errors and warnings of the store opened for seeding go to the bench's stderr. */
function storeLog(log: (line: string) => void): StoreLog {
  const line = (level: string) => (obj: object, msg?: string) =>
    log(`[bench store ${level}] ${msg ?? ''} ${JSON.stringify(obj)}`);
  return { info: () => undefined, warn: line('warn'), error: line('error') };
}

/**
 * The event's bookings, added in bulk through the storage port — `store.bookings.importMany`, which
 * logs every booking to the event's bucket and moves the seat counts — by the bench process itself,
 * with the sync server stopped: a SQLite store is one process's at a time, and on FerretDB a steady
 * stream of readers keeps SQLite from checkpointing its WAL. The accounts get cheap password hashes
 * here too. No driver is used: a MongoDB store is reached through the same port.
 */
export async function seedBookings(options: {
  store: StoreConfig;
  seed: EventSeed;
  bookings: number;
  log: (line: string) => void;
}): Promise<Omit<Fixture, 'organizer' | 'staff'> & { organizer: EventSeed['organizer']; staff: EventSeed['staff'] }> {
  const { seed } = options;
  const { eventId, ticketTypeId, organizer, startsAt, endsAt } = seed;
  const started = Date.now();
  const store = await openStore(options.store, storeLog(options.log));
  try {
    for (const who of [seed.organizer, seed.staff]) {
      const row = await store.users.findById(who.id);
      if (!row) throw new Error(`bench account ${who.email} is missing from the store`);
      await ensureUser(
        store.users,
        { email: who.email, password: who.password, name: row.name, role: row.role },
        { scryptCost: BENCH_SCRYPT_COST, resetPassword: true },
      );
    }
    const bookingIds: string[] = [];
    const codes: string[] = [];
    const createdBase = Date.now() - 30 * 86_400_000;
    const rowOf = (n: number): NewBooking & { code: string } => ({
      id: bookingIds[n]!,
      eventId,
      userId: organizer.id,
      ticketTypeId,
      quantity: 1,
      attendee: { name: attendeeName(n).name, email: `attendee${n}@example.test` },
      source: 'online',
      code: codes[n]!,
      createdAt: new Date(createdBase + n * 1000).toISOString(),
    });
    const seenCodes = new Set<string>();
    for (let n = 0; n < options.bookings; n++) {
      bookingIds.push(randomUUID());
      let code = bookingCodeFromBytes(randomBytes(8));
      while (seenCodes.has(code)) code = bookingCodeFromBytes(randomBytes(8));
      seenCodes.add(code);
      codes.push(code);
    }
    let added = 0;
    for (let offset = 0; offset < options.bookings; offset += IMPORT_CHUNK) {
      const rows: Array<NewBooking & { code: string }> = [];
      for (let n = offset; n < Math.min(options.bookings, offset + IMPORT_CHUNK); n++) rows.push(rowOf(n));
      added += await store.bookings.importMany(eventId, rows);
      if ((offset / IMPORT_CHUNK) % 4 === 3) options.log(`[bench] seeded ${offset + rows.length} bookings`);
    }
    if (added !== options.bookings) throw new Error(`importMany added ${added} of ${options.bookings} bookings`);
    const bucketRows = (await store.changes.heads([eventBucket(eventId)])).get(eventBucket(eventId)) ?? 0;
    options.log(
      `[bench] seeded ${options.bookings} bookings through the ${store.kind} store in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    // The newest unretired key signs, as TicketService.tokenFor does; read once instead of per token.
    const key = await store.ticketKeys.signingKey(eventId);
    if (!key) throw new Error('the event has no ticket key');
    const claims = {
      kid: key.kid,
      eventId,
      ticketTypeId,
      validFrom: Math.floor(Date.parse(startsAt) / 1000),
      validUntil: Math.ceil(Date.parse(endsAt) / 1000),
    };
    const last = options.bookings - 1;
    return {
      eventId,
      ticketTypeId,
      bookingIds,
      bucketRows,
      organizer,
      staff: seed.staff,
      tokenFor: (bookingId) => signTicket({ ...claims, bookingId }, key.privateKey),
      searchProbe: { q: `${attendeeName(last).last} ${last}`.toLowerCase(), bookingId: bookingIds[last]! },
      bookingDocs: function* () {
        for (let n = 0; n < options.bookings; n++) {
          const row = rowOf(n);
          yield {
            ...row,
            attendee: { name: row.attendee.name, email: row.attendee.email! },
            status: 'confirmed',
            overCapacity: false,
            cancelledAt: null,
          };
        }
      },
    };
  } finally {
    // Held open while the store closes: the SQLite adapter's checkpoint worker is unref'd, and a
    // process with nothing else alive would exit (code 0) while awaiting its end.
    const keepAlive = setInterval(() => undefined, 1_000);
    await store.close().finally(() => clearInterval(keepAlive));
  }
}
