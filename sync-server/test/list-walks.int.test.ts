import { randomUUID } from 'node:crypto';
import type { Event } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../tests/support/http';
import type { TestServer } from '../../tests/support/server';
import { signInAs, signInOnDevice, TEST_PASSWORD, type SignedIn } from '../../tests/support/users';
import type { ComposedMailRow } from '../src/store/rows';
import { ensureUser } from '../src/users/seed';
import { createEvent, createStaffedEvent, signInCast, startServerWithQuietMail, type Cast } from './events-fixtures';
import { addBooking, SimDevice } from './sync-fixtures';

/**
 * Every paged list, walked a few rows a page while its rows change under the walk: a row's field
 * that a screen sorts by changes (an event rescheduled from page 3 to page 1, a device syncing
 * again, a user renamed), rows are added and removed. Lists page on (creation time, id), so every
 * row that exists for the whole walk is listed exactly once, whatever moved.
 */

let server: TestServer;
let cast: Cast;

beforeAll(async () => {
  // Quiet mail: outbox messages stay as the tests put them, no sweeper or worker in between.
  server = await startServerWithQuietMail();
  cast = await signInCast(server);
});
afterAll(async () => {
  await server.close();
});

const HOUR_MS = 3_600_000;
const LIMIT = 2;
const ROWS = 7;
const tag = () => `w${randomUUID().replace(/-/g, '').slice(0, 10)}`;

/** One walk: the list, who reads it, the rows there before it starts, and what happens between pages. */
type Walk = {
  /** The list's path and filters, without limit or cursor. */
  url: string;
  api: ApiClient;
  /** Ids of the rows the list holds before the walk, in the order they were created. */
  rows: string[];
  /**
   * Runs after page `page` (1-based) with the ids listed so far; answers the ids of rows it took out
   * of the list (deleted), which the walk may or may not have listed.
   */
  churn: (page: number, listed: string[]) => Promise<string[]>;
};

type ListCase = { list: string; setUp: () => Promise<Walk> };

/** The seeded rows not yet listed, the first of the last page first. */
const unlisted = (walk: Pick<Walk, 'rows'>, listed: string[]) => walk.rows.filter((id) => !listed.includes(id));

async function ok<T>(label: string, request: Promise<{ status: number; body: T }>, status = 200): Promise<T> {
  const result = await request;
  if (result.status !== status) throw new Error(`${label}: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

async function eventWithBookings(names: (i: number) => string): Promise<{ event: Event; rows: string[] }> {
  const event = await createStaffedEvent(cast);
  const rows: string[] = [];
  for (let i = 0; i < ROWS; i++) rows.push(await addBooking(cast.organizer.api, event, names(i)));
  return { event, rows };
}

const cases: ListCase[] = [
  {
    list: 'GET /events (an event rescheduled from page 3 to page 1, one created, one deleted)',
    async setUp() {
      const t = tag();
      const base = Date.now() + 48 * HOUR_MS;
      const at = (hours: number) => ({
        startsAt: new Date(base + hours * HOUR_MS).toISOString(),
        endsAt: new Date(base + (hours + 1) * HOUR_MS).toISOString(),
      });
      const rows: string[] = [];
      for (let i = 0; i < ROWS; i++) {
        rows.push((await createEvent(cast.organizer.api, { title: `Walk ${t} #${i}`, ...at(i) })).id);
      }
      return {
        url: `/events?q=${t}`,
        api: cast.attendee.api,
        rows,
        async churn(page) {
          if (page !== 1) return [];
          // Rows 4 and 5 are page 3 by start and by creation alike; row 4 now starts before row 0.
          await ok('reschedule', cast.organizer.api.patch(`/events/${rows[4]}`, at(-1)));
          await createEvent(cast.organizer.api, { title: `Walk ${t} #new`, ...at(-2) });
          await ok('delete', cast.organizer.api.delete(`/events/${rows[3]}`));
          return [rows[3]!];
        },
      };
    },
  },
  {
    list: "GET /events/:id/bookings (the organizer's attendee list: bookings cancelled and added)",
    async setUp() {
      const { event, rows } = await eventWithBookings((i) => `Guest ${i}`);
      return {
        url: `/events/${event.id}/bookings?`,
        api: cast.organizer.api,
        rows,
        async churn(page, listed) {
          const later = unlisted({ rows }, listed);
          if (later.length === 0) return [];
          await ok('cancel', cast.organizer.api.post(`/bookings/${later[later.length - 1]}/cancel`));
          await addBooking(cast.organizer.api, event, `Guest late ${page}`);
          return [];
        },
      };
    },
  },
  {
    list: 'GET /events/:id/bookings?q= (search results: bookings cancelled and added)',
    async setUp() {
      const surname = tag();
      const { event, rows } = await eventWithBookings((i) => `Guest${i} ${surname}`);
      // Another name the search must leave out.
      await addBooking(cast.organizer.api, event, 'Someone Else');
      return {
        url: `/events/${event.id}/bookings?q=${surname}`,
        api: cast.staff.api,
        rows,
        async churn(page, listed) {
          const later = unlisted({ rows }, listed);
          if (later.length === 0) return [];
          await ok('cancel', cast.organizer.api.post(`/bookings/${later[0]}/cancel`));
          await addBooking(cast.organizer.api, event, `Late${page} ${surname}`);
          return [];
        },
      };
    },
  },
  {
    list: 'GET /bookings/me (online bookings cancelled and added)',
    async setUp() {
      const attendee = await signInAs(server, 'attendee', 'Walking Attendee');
      const event = await createEvent(cast.organizer.api);
      const book = async () =>
        (
          await ok<{ id: string }>(
            'book',
            attendee.api.post(`/events/${event.id}/book`, { ticketTypeId: event.ticketTypes[0]!.id, quantity: 1 }),
            201,
          )
        ).id;
      const rows: string[] = [];
      for (let i = 0; i < ROWS; i++) rows.push(await book());
      return {
        url: '/bookings/me?',
        api: attendee.api,
        rows,
        async churn(_page, listed) {
          const later = unlisted({ rows }, listed);
          if (later.length === 0) return [];
          await ok('cancel', attendee.api.post(`/bookings/${later[0]}/cancel`));
          await book();
          return [];
        },
      };
    },
  },
  {
    list: 'GET /users (users renamed, demoted, disabled and added)',
    async setUp() {
      const t = tag();
      const addUser = async (name: string) =>
        (
          await ensureUser(
            server.ctx.store.users,
            {
              email: `${name.replace(/\W/g, '').toLowerCase()}@example.test`,
              password: TEST_PASSWORD,
              name,
              role: 'staff',
            },
            { scryptCost: server.config.scryptCost },
          )
        ).id;
      const rows: string[] = [];
      for (let i = 0; i < ROWS; i++) rows.push(await addUser(`Person ${i} ${t}`));
      return {
        url: `/users?q=${t}`,
        api: cast.admin.api,
        rows,
        async churn(page, listed) {
          const later = unlisted({ rows }, listed);
          if (later.length === 0) return [];
          // The last one renamed to sort first by name; another one demoted and disabled.
          await ok('rename', cast.admin.api.patch(`/users/${later[later.length - 1]}`, { name: `Aaron ${t}` }));
          await ok('disable', cast.admin.api.patch(`/users/${later[0]}`, { role: 'attendee', disabled: true }));
          await addUser(`Late ${page} ${t}`);
          return [];
        },
      };
    },
  },
  {
    list: 'GET /devices (every device not yet listed syncs again; devices added and revoked)',
    async setUp() {
      const owner: SignedIn = await signInAs(server, 'staff', 'Device Owner');
      // Each device syncs in a session of its own, as the app does: revoking one ends only that one.
      const onItsOwn = async () => {
        const deviceId = randomUUID();
        return new SimDevice((await signInOnDevice(server, owner, deviceId)).api, Date.now, deviceId);
      };
      const devices: SimDevice[] = [];
      for (let i = 0; i < ROWS; i++) {
        const device = await onItsOwn();
        await device.pullOnce();
        devices.push(device);
      }
      const rows = devices.map((device) => device.deviceId);
      return {
        url: '/devices?',
        api: owner.api,
        rows,
        async churn(_page, listed) {
          const later = unlisted({ rows }, listed);
          if (later.length === 0) return [];
          // Each sync moves a device's last-seen time past every other device's.
          for (const device of devices.filter((d) => later.includes(d.deviceId))) await device.pullOnce();
          await (await onItsOwn()).pullOnce();
          await ok('revoke', owner.api.delete(`/devices/${later[0]}`));
          return [];
        },
      };
    },
  },
  {
    list: 'GET /admin/mail (messages discarded, retried and queued)',
    async setUp() {
      const event = await createEvent(cast.organizer.api);
      const queue = async (label: string): Promise<string> => {
        const message: ComposedMailRow = {
          id: `bookingConfirmed:${label}-${randomUUID()}`,
          kind: 'bookingConfirmed',
          to: 'walker@example.test',
          toName: 'Walker',
          subject: `Message ${label}`,
          html: '<p>Hello</p>',
          text: 'Hello',
          ics: null,
          qrToken: null,
          eventId: event.id,
          bookingId: null,
        };
        // Due in an hour: the mail worker leaves them alone, so only the walk's churn changes them.
        await server.ctx.store.mail.enqueue([message], (id) => `<${id}@example.test>`, Date.now() + HOUR_MS);
        return message.id;
      };
      const rows: string[] = [];
      for (let i = 0; i < ROWS; i++) rows.push(await queue(`m${i}`));
      // A message changes status once: a retried one is the worker's to send from then on.
      const changed = new Set<string>();
      return {
        url: '/admin/mail?',
        api: cast.admin.api,
        rows,
        async churn(page, listed) {
          const later = unlisted({ rows }, listed).filter((id) => !changed.has(id));
          if (later.length === 0) return [];
          const path = (id: string, action: string) => `/admin/mail/${encodeURIComponent(id)}/${action}`;
          const [first, last] = [later[0]!, later[later.length - 1]!];
          await ok('discard', cast.admin.api.post(path(first, 'discard')));
          if (page === 1) await ok('retry', cast.admin.api.post(path(first, 'retry')));
          if (last !== first) await ok('discard', cast.admin.api.post(path(last, 'discard')));
          changed.add(first).add(last);
          await queue(`late${page}`);
          return [];
        },
      };
    },
  },
];

describe('walking a paged list while its rows change', () => {
  it.each(cases)('$list lists every row that existed for the whole walk exactly once', async ({ setUp }) => {
    const walk = await setUp();
    const listed: string[] = [];
    const removed = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `limit=${LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await ok<{ items: Array<{ id: string }>; nextCursor: string | null }>(
        'list',
        walk.api.get(`${walk.url}${walk.url.endsWith('?') ? '' : '&'}${query}`),
      );
      expect(page.items.length).toBeLessThanOrEqual(LIMIT);
      listed.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages += 1;
      if (cursor) for (const id of await walk.churn(pages, [...listed])) removed.add(id);
    } while (cursor && pages < 50);

    const kept = walk.rows.filter((id) => !removed.has(id));
    expect(
      kept.filter((id) => !listed.includes(id)),
      'rows never listed',
    ).toEqual([]);
    expect(listed.length - new Set(listed).size, `rows listed twice in ${listed.join(', ')}`).toBe(0);
    expect(pages, 'the walk took several pages').toBeGreaterThanOrEqual(Math.ceil(ROWS / LIMIT));
  });
});
