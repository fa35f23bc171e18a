import type { Event } from '@gatehouse/protocol';
import { afterAll, beforeAll } from 'vitest';
import { ApiClient } from '../../tests/support/http';
import { reopenedDbName, startTestServer, testStoreKind, type TestServer } from '../../tests/support/server';
import { mailSettingsFromEnv } from '../src/mail/settings';
import { signInAs, type SignedIn } from '../../tests/support/users';

const HOUR_MS = 3_600_000;

/** A valid create body; tests override what they are about. */
export function eventInput(overrides: Record<string, unknown> = {}) {
  const start = Date.now() + 24 * HOUR_MS;
  return {
    title: 'Harbour Jazz Night',
    description: 'Three bands on the pier',
    venue: 'Pier 4, Hamburg',
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(start + 4 * HOUR_MS).toISOString(),
    timezone: 'Europe/Berlin',
    capacity: 100,
    status: 'published',
    ticketTypes: [
      { name: 'Standard', price: 2500, quota: 80 },
      { name: 'VIP', price: 9000, quota: 20 },
    ],
    ...overrides,
  };
}

export async function createEvent(api: ApiClient, overrides: Record<string, unknown> = {}): Promise<Event> {
  const result = await api.post<Event>('/events', eventInput(overrides));
  if (result.status !== 201) throw new Error(`create event failed: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

export type Cast = {
  admin: SignedIn;
  organizer: SignedIn;
  otherOrganizer: SignedIn;
  staff: SignedIn;
  otherStaff: SignedIn;
  attendee: SignedIn;
  otherAttendee: SignedIn;
  anonymous: ApiClient;
};

/** Everyone the authorization tests speak as; `staff` is the one tests assign to events. */
export async function signInCast(server: TestServer): Promise<Cast> {
  const [admin, organizer, otherOrganizer, staff, otherStaff, attendee, otherAttendee] = await Promise.all([
    signInAs(server, 'admin'),
    signInAs(server, 'organizer', 'Olu Organizer'),
    signInAs(server, 'organizer', 'Other Organizer'),
    signInAs(server, 'staff', 'Sam Staff'),
    signInAs(server, 'staff', 'Other Staff'),
    signInAs(server, 'attendee', 'Alex Attendee'),
    signInAs(server, 'attendee', 'Other Attendee'),
  ]);
  return {
    admin,
    organizer,
    otherOrganizer,
    staff,
    otherStaff,
    attendee,
    otherAttendee,
    anonymous: new ApiClient(server.baseUrl),
  };
}

/**
 * A test server for a domain file that speaks as the whole cast: rate limits raised so the cast's
 * sign-ins and the file's many calls are never throttled, logs at `error` only, and everyone of
 * `signInCast` signed in. The caller closes `server` (in `afterAll`); it is closed here if the
 * sign-ins fail.
 */
export async function startServerWithCast(): Promise<{ server: TestServer; cast: Cast }> {
  const server = await startTestServer({ rateLimit: { perMinute: 100_000, loginPerMinute: 1000 }, logLevel: 'error' });
  try {
    return { server, cast: await signInCast(server) };
  } catch (error) {
    await server.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Registers, in the calling file or `describe`, a `beforeAll` that starts `startServerWithCast` and
 * hands both to `use` (which assigns the file's `server` and `cast`), and an `afterAll` closing it.
 */
export function serverWithCastForTests(use: (started: { server: TestServer; cast: Cast }) => void): void {
  let started: { server: TestServer; cast: Cast } | undefined;
  beforeAll(async () => {
    started = await startServerWithCast();
    use(started);
  });
  afterAll(async () => {
    await started?.server.close();
  });
}

/**
 * As `serverWithCastForTests`, with `other`: a second server process on the same database when the
 * store is MongoDB (how Gatehouse scales out), else the same server — for tests whose requests
 * must hold across processes.
 */
export function serverPairWithCastForTests(
  use: (started: { server: TestServer; other: TestServer; cast: Cast }) => void,
): void {
  let server: TestServer | undefined;
  let other: TestServer | undefined;
  beforeAll(async () => {
    const started = await startServerWithCast();
    server = started.server;
    other =
      testStoreKind() === 'mongodb'
        ? await startTestServer({
            dbName: reopenedDbName(server),
            rateLimit: server.config.rateLimit,
            logLevel: 'error',
          })
        : server;
    use({ server, other, cast: started.cast });
  });
  afterAll(async () => {
    if (other && other !== server) await other.close();
    await server?.close();
  });
}

/** An event of `cast.organizer` with `cast.staff` assigned. */
export async function createStaffedEvent(cast: Cast, overrides: Record<string, unknown> = {}): Promise<Event> {
  const event = await createEvent(cast.organizer.api, overrides);
  const staffed = await cast.organizer.api.put<Event>(`/events/${event.id}/staff`, { staffIds: [cast.staff.user.id] });
  if (staffed.status !== 200) throw new Error(`assign staff failed: ${staffed.status} ${JSON.stringify(staffed.body)}`);
  return staffed.body;
}

/**
 * Whether a mail hand-off mark was set: still on the row, or already taken by the mail sweeper
 * (which queues `<item>:<bookingId>` messages and records `<eventId>:<item>` fan-outs).
 */
export async function mailHandedOff(
  server: TestServer,
  kind: 'booking' | 'event',
  rowId: string,
  item: string,
): Promise<boolean> {
  const { store } = server.ctx;
  const handoffs = await store.mail.handoffs(10_000);
  if (handoffs.some((h) => h.kind === kind && h.rowId === rowId && h.items.includes(item))) return true;
  if (kind === 'booking') {
    const queued = await store.mail.list({}, undefined, 10_000);
    return queued.some((message) => message.id === `${item}:${rowId}`);
  }
  return store.mail.fanOutDone(`${rowId}:${item}`);
}

/**
 * A test server whose mail sweeper runs once at start and then not for a minute, so tests can read
 * the mail hand-offs before the mail domain consumes them.
 */
export async function startServerWithQuietMail(): Promise<TestServer> {
  const settings = mailSettingsFromEnv({});
  if (!settings.ok) throw new Error(settings.problems.join('\n'));
  return startTestServer({ mail: { ...settings.settings, pollMs: 60_000 } });
}
