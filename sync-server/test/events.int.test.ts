import { randomUUID } from 'node:crypto';
import { eventBucket, eventSchema, ticketPublicKeySchema, type Event } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../tests/support/server';
import { changesOf } from './store-inspect';
import {
  createEvent,
  createStaffedEvent,
  eventInput,
  mailHandedOff,
  signInCast,
  startServerWithQuietMail,
  type Cast,
} from './events-fixtures';

let server: TestServer;
let cast: Cast;

beforeAll(async () => {
  server = await startServerWithQuietMail();
  cast = await signInCast(server);
});
afterAll(async () => {
  await server.close();
});

const HOUR_MS = 3_600_000;
const tag = () => `tag${randomUUID().replace(/-/g, '').slice(0, 10)}`;

describe('event routes, role by role', () => {
  it('POST /events: organizers and admins create; staff, attendees and anonymous cannot', async () => {
    const byOrganizer = await cast.organizer.api.post('/events', eventInput());
    expect(byOrganizer.status).toBe(201);
    expect(eventSchema.strict().safeParse(byOrganizer.body).success).toBe(true);
    expect(byOrganizer.body).toMatchObject({ organizerId: cast.organizer.user.id, staffIds: [], bookedCount: 0 });
    expect(byOrganizer.body.ticketTypes.map((type: { sold: number }) => type.sold)).toEqual([0, 0]);
    expect((await cast.admin.api.post('/events', eventInput())).status).toBe(201);
    for (const who of [cast.staff, cast.attendee]) {
      const refused = await who.api.post('/events', eventInput());
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
    }
    const anonymous = await cast.anonymous.post('/events', eventInput());
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('GET /events/:id: published for anyone signed in; drafts only for organizer, assigned staff, admin', async () => {
    const published = await createStaffedEvent(cast);
    const draft = await createStaffedEvent(cast, { status: 'draft' });
    for (const who of [cast.admin, cast.organizer, cast.otherOrganizer, cast.staff, cast.otherStaff, cast.attendee]) {
      const result = await who.api.get(`/events/${published.id}`);
      expect(result.status, who.user.name).toBe(200);
      expect(result.body.id).toBe(published.id);
    }
    for (const who of [cast.admin, cast.organizer, cast.staff]) {
      expect((await who.api.get(`/events/${draft.id}`)).status, who.user.name).toBe(200);
    }
    for (const who of [cast.otherOrganizer, cast.otherStaff, cast.attendee]) {
      const hidden = await who.api.get(`/events/${draft.id}`);
      expect(hidden.status, who.user.name).toBe(404);
      expect(hidden.body.error.code).toBe('NOT_FOUND');
    }
    expect((await cast.anonymous.get(`/events/${published.id}`)).status).toBe(401);
  });

  it('PATCH /events/:id: the organizer and admins edit; nobody else, even assigned staff', async () => {
    const event = await createStaffedEvent(cast);
    const draft = await createStaffedEvent(cast, { status: 'draft' });
    const byOrganizer = await cast.organizer.api.patch(`/events/${event.id}`, { title: 'Renamed by organizer' });
    expect(byOrganizer.status).toBe(200);
    expect(byOrganizer.body.title).toBe('Renamed by organizer');
    const byAdmin = await cast.admin.api.patch(`/events/${event.id}`, { capacity: 90 });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body).toMatchObject({ title: 'Renamed by organizer', capacity: 90 });

    const otherOrganizer = await cast.otherOrganizer.api.patch(`/events/${event.id}`, { title: 'Hijacked' });
    expect(otherOrganizer.status).toBe(403);
    expect(otherOrganizer.body.error.code).toBe('FORBIDDEN');
    // A draft of someone else is not even visible: no hint that it exists.
    expect((await cast.otherOrganizer.api.patch(`/events/${draft.id}`, { title: 'Hijacked' })).status).toBe(404);
    for (const who of [cast.staff, cast.otherStaff, cast.attendee]) {
      expect((await who.api.patch(`/events/${event.id}`, { title: 'Hijacked' })).status, who.user.name).toBe(403);
    }
    expect((await cast.anonymous.patch(`/events/${event.id}`, { title: 'Hijacked' })).status).toBe(401);
    expect((await cast.attendee.api.get(`/events/${event.id}`)).body.title).toBe('Renamed by organizer');
  });

  it('DELETE /events/:id: soft delete by the organizer or an admin, logged as a deletion', async () => {
    const event = await createStaffedEvent(cast);
    for (const who of [cast.otherOrganizer, cast.staff, cast.attendee]) {
      expect((await who.api.delete(`/events/${event.id}`)).status, who.user.name).toBe(403);
    }
    expect((await cast.anonymous.delete(`/events/${event.id}`)).status).toBe(401);
    const deleted = await cast.organizer.api.delete(`/events/${event.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ ok: true });
    expect((await cast.organizer.api.get(`/events/${event.id}`)).status).toBe(404);
    expect((await cast.admin.api.delete(`/events/${event.id}`)).status).toBe(404);
    expect(await server.ctx.store.events.findById(event.id)).toBeNull();
    const last = (await changesOf(server, eventBucket(event.id))).filter((change) => change.type === 'event').at(-1);
    expect(last).toMatchObject({ id: event.id, doc: null });
    expect(
      await server.ctx.events.accessibleEventIds((await server.ctx.store.users.findById(cast.admin.user.id))!),
    ).not.toContain(event.id);

    const byAdmin = await createEvent(cast.organizer.api);
    expect((await cast.admin.api.delete(`/events/${byAdmin.id}`)).status).toBe(200);
  });

  it('PUT /events/:id/staff: only the organizer or an admin; staff must be staff-side users', async () => {
    const event = await createEvent(cast.organizer.api);
    for (const who of [cast.otherOrganizer, cast.staff, cast.attendee]) {
      expect((await who.api.put(`/events/${event.id}/staff`, { staffIds: [who.user.id] })).status, who.user.name).toBe(
        403,
      );
    }
    expect((await cast.anonymous.put(`/events/${event.id}/staff`, { staffIds: [] })).status).toBe(401);
    const assigned = await cast.organizer.api.put(`/events/${event.id}/staff`, {
      staffIds: [cast.staff.user.id, cast.otherOrganizer.user.id, cast.staff.user.id],
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body.staffIds).toEqual([cast.staff.user.id, cast.otherOrganizer.user.id]);
    // Assigned staff now see it in their sync buckets; the unassigned do not.
    const staffDoc = (await server.ctx.store.users.findById(cast.staff.user.id))!;
    const otherStaffDoc = (await server.ctx.store.users.findById(cast.otherStaff.user.id))!;
    expect(await server.ctx.events.accessibleEventIds(staffDoc)).toContain(event.id);
    expect(await server.ctx.events.accessibleEventIds(otherStaffDoc)).not.toContain(event.id);

    const refused = await cast.organizer.api.put(`/events/${event.id}/staff`, {
      staffIds: [cast.attendee.user.id, 'no-such-user'],
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('UNPROCESSABLE');
    expect(refused.body.error.details.map((detail: { message: string }) => detail.message)).toEqual([
      `${cast.attendee.user.id} is not a staff member`,
      'no-such-user is not a staff member',
    ]);
    const byAdmin = await cast.admin.api.put(`/events/${event.id}/staff`, { staffIds: [] });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.staffIds).toEqual([]);
    expect(await server.ctx.events.accessibleEventIds(staffDoc)).not.toContain(event.id);
  });

  it('GET /events/:id/staff: the organizer sees the assigned staff and finds others to add, nothing more', async () => {
    const event = await createStaffedEvent(cast);
    for (const who of [cast.otherOrganizer, cast.staff, cast.attendee]) {
      expect((await who.api.get(`/events/${event.id}/staff`)).status, who.user.name).toBe(403);
    }
    expect((await cast.anonymous.get(`/events/${event.id}/staff`)).status).toBe(401);

    const all = await cast.organizer.api.get(`/events/${event.id}/staff`);
    expect(all.status).toBe(200);
    expect(all.body.assigned).toEqual([
      { id: cast.staff.user.id, name: cast.staff.user.name, email: cast.staff.user.email, role: 'staff' },
    ]);
    const candidateIds = all.body.candidates.map((member: { id: string }) => member.id);
    expect(candidateIds).not.toContain(cast.staff.user.id);
    expect(candidateIds).not.toContain(cast.attendee.user.id);
    for (const member of all.body.candidates)
      expect(Object.keys(member).sort()).toEqual(['email', 'id', 'name', 'role']);

    const found = await cast.organizer.api.get(`/events/${event.id}/staff?q=${encodeURIComponent('other st')}`);
    expect(found.body.candidates.map((member: { id: string }) => member.id)).toEqual([cast.otherStaff.user.id]);
    // Operators and regex syntax are text to search for, never a query.
    for (const q of ['$where', '.*', '{"$ne":null}']) {
      const odd = await cast.admin.api.get(`/events/${event.id}/staff?q=${encodeURIComponent(q)}`);
      expect(odd.status, q).toBe(200);
      expect(odd.body.candidates, q).toEqual([]);
    }
    expect((await cast.organizer.api.get(`/events/${event.id}/staff?q=${'x'.repeat(101)}`)).status).toBe(400);
    expect((await cast.organizer.api.get(`/events/${event.id}/staff?role=admin`)).status).toBe(400);
  });

  it('accessibleEventIds: admin all, organizer own, staff assigned, attendee none', async () => {
    const mine = await createStaffedEvent(cast, { status: 'draft' });
    const theirs = await createEvent(cast.otherOrganizer.api);
    const doc = async (id: string) => (await server.ctx.store.users.findById(id))!;
    const admin = await server.ctx.events.accessibleEventIds(await doc(cast.admin.user.id));
    expect(admin).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    const organizer = await server.ctx.events.accessibleEventIds(await doc(cast.organizer.user.id));
    expect(organizer).toContain(mine.id);
    expect(organizer).not.toContain(theirs.id);
    expect(await server.ctx.events.accessibleEventIds(await doc(cast.staff.user.id))).toContain(mine.id);
    expect(await server.ctx.events.accessibleEventIds(await doc(cast.attendee.user.id))).toEqual([]);
  });
});

describe('GET /events listing', () => {
  it('shows published events to everyone signed in and drafts only to those who may see them', async () => {
    const t = tag();
    const published = await createEvent(cast.organizer.api, { title: `Open ${t}` });
    const draft = await createStaffedEvent(cast, { title: `Draft ${t}`, status: 'draft' });
    const foreignDraft = await createEvent(cast.otherOrganizer.api, { title: `Foreign ${t}`, status: 'draft' });
    const ids = async (who: { api: Cast['anonymous'] }) =>
      ((await who.api.get(`/events?q=${t}`)).body.items as Event[]).map((event) => event.id).sort();
    expect(await ids(cast.attendee)).toEqual([published.id]);
    expect(await ids(cast.otherStaff)).toEqual([published.id]);
    expect(await ids(cast.staff)).toEqual([published.id, draft.id].sort());
    expect(await ids(cast.organizer)).toEqual([published.id, draft.id].sort());
    expect(await ids(cast.otherOrganizer)).toEqual([published.id, foreignDraft.id].sort());
    expect(await ids(cast.admin)).toEqual([published.id, draft.id, foreignDraft.id].sort());
    expect((await cast.anonymous.get('/events')).status).toBe(401);
  });

  it('pages with a cursor in a stable order (created, then id), without repeats or gaps', async () => {
    const t = tag();
    const base = Date.now() + 48 * HOUR_MS;
    const created: Event[] = [];
    for (let i = 0; i < 7; i++) {
      // Starts in the reverse order of creation: the list follows creation.
      const start = base + (6 - i) * HOUR_MS;
      created.push(
        await createEvent(cast.organizer.api, {
          title: `Series ${t} #${i}`,
          startsAt: new Date(start).toISOString(),
          endsAt: new Date(start + HOUR_MS).toISOString(),
        }),
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result: { status: number; body: { items: Event[]; nextCursor: string | null } } =
        await cast.attendee.api.get(`/events?q=${t}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(result.status).toBe(200);
      expect(result.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...result.body.items.map((event) => event.id));
      cursor = result.body.nextCursor;
      if (!cursor) break;
    }
    // By creation, not by start: an edit moves a start, never a creation time (list-walks.int.test.ts).
    const expected = [...created]
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1))
      .map((event) => event.id);
    expect(seen).toEqual(expected);
  });

  it('filters by status and date range, and searches text case-insensitively and literally', async () => {
    const t = tag();
    const base = Date.now() + 30 * 24 * HOUR_MS;
    const at = (dayOffset: number) => ({
      startsAt: new Date(base + dayOffset * 24 * HOUR_MS).toISOString(),
      endsAt: new Date(base + dayOffset * 24 * HOUR_MS + 2 * HOUR_MS).toISOString(),
    });
    const early = await createEvent(cast.organizer.api, { title: `Early ${t}`, ...at(0) });
    const late = await createEvent(cast.organizer.api, {
      title: `Late ${t}`,
      ...at(10),
      venue: 'Kampnagel (Halle K6)',
    });
    const cancelled = await createEvent(cast.organizer.api, { title: `Gone ${t}`, ...at(5), status: 'cancelled' });
    const list = async (query: string) =>
      ((await cast.organizer.api.get(`/events?q=${t}${query}`)).body.items as Event[]).map((event) => event.id);
    expect(await list('&status=cancelled')).toEqual([cancelled.id]);
    expect(await list('&status=published')).toEqual([early.id, late.id]);
    const from = encodeURIComponent(new Date(base + 3 * 24 * HOUR_MS).toISOString());
    const to = encodeURIComponent(new Date(base + 7 * 24 * HOUR_MS).toISOString());
    // In the order they were created, whatever their dates.
    expect(await list(`&from=${from}`)).toEqual([late.id, cancelled.id]);
    expect(await list(`&to=${to}`)).toEqual([early.id, cancelled.id]);
    expect(await list(`&from=${from}&to=${to}`)).toEqual([cancelled.id]);
    // Offsets other than Z mean the same instants.
    const plusTwo = new Date(base + 3 * 24 * HOUR_MS + 2 * HOUR_MS).toISOString().replace('Z', '+02:00');
    expect(await list(`&from=${encodeURIComponent(plusTwo)}`)).toEqual([late.id, cancelled.id]);

    const search = async (q: string) =>
      ((await cast.organizer.api.get(`/events?q=${encodeURIComponent(q)}`)).body.items as Event[]).map((e) => e.id);
    expect(await search(`EARLY ${t.toUpperCase()}`)).toEqual([early.id]);
    expect(await search('(Halle K6)')).toContain(late.id);
    expect(await search('.*')).toEqual([]);
  });

  it('?q= finds titles and venues whatever their accents, case, ß or æ', async () => {
    const t = randomUUID().slice(0, 8);
    const musee = await createEvent(cast.organizer.api, {
      title: `Nuit au Musée ${t}`,
      venue: 'Große Halle, Ærøskøbing',
    });
    const search = async (q: string) =>
      ((await cast.organizer.api.get(`/events?q=${encodeURIComponent(q)}`)).body.items as Event[]).map((e) => e.id);
    for (const q of [`musee ${t}`, `MUSÉE ${t}`, 'grosse halle', 'Aeroskobing', 'ærøskøbing']) {
      expect(await search(q), q).toContain(musee.id);
    }
    expect(await search(`muse ${t}x`)).toEqual([]);
  });
});

describe('edits: last writer wins per field, mail hand-off, change log', () => {
  it('applies a field only when its hybrid clock is newer than the stored one', async () => {
    const event = await createEvent(cast.organizer.api);
    const organizer = (await server.ctx.store.users.findById(cast.organizer.user.id))!;
    const future = (ms: number, node: string) => `${String(Date.now() + ms).padStart(15, '0')}:00000:${node}`;
    const newer = future(60_000, 'deviceA');
    const older = future(30_000, 'deviceB');
    await server.ctx.events.update(organizer, event.id, { title: 'From device A', venue: 'Hall A' }, { hlc: newer });
    // Device B edited offline earlier (older clock): its title loses, its description (untouched by A) wins.
    const merged = await server.ctx.events.update(
      organizer,
      event.id,
      { title: 'From device B', description: 'Written on B' },
      { hlc: older },
    );
    expect(merged).toMatchObject({ title: 'From device A', venue: 'Hall A', description: 'Written on B' });
    // A REST edit now is stamped by the server clock, which has moved past device A's stamp.
    const rest = await cast.organizer.api.patch(`/events/${event.id}`, { title: 'From REST' });
    expect(rest.body.title).toBe('From REST');
  });

  it('marks mail-worthy changes on the row, never in responses or changes', async () => {
    const event = await createEvent(cast.organizer.api);
    const rowOf = () => server.ctx.store.events.findById(event.id);
    const handedOff = (item: string) => mailHandedOff(server, 'event', event.id, item);
    const titled = await cast.organizer.api.patch(`/events/${event.id}`, { title: 'Only a title' });
    expect(titled.status).toBe(200);
    const titleRev = (await rowOf())!.rev;
    expect(await handedOff(`eventChanged:${titleRev}`)).toBe(false);
    const moved = await cast.organizer.api.patch(`/events/${event.id}`, { venue: 'Another hall' });
    expect(moved.status).toBe(200);
    const movedRev = (await changesOf(server, eventBucket(event.id)))
      .filter((change) => change.type === 'event')
      .at(-1)!.rev;
    expect(await handedOff(`eventChanged:${movedRev}`)).toBe(true);
    // Same value again: nothing changed for attendees, so no second mail.
    await cast.organizer.api.patch(`/events/${event.id}`, { venue: 'Another hall' });
    const sameRev = (await rowOf())!.rev;
    expect(await handedOff(`eventChanged:${sameRev}`)).toBe(false);
    const cancelled = await cast.organizer.api.patch(`/events/${event.id}`, { status: 'cancelled' });
    expect(cancelled.body.status).toBe('cancelled');
    expect(await handedOff(`eventCancelled:${(await rowOf())!.rev}`)).toBe(true);
    for (const body of [moved.body, cancelled.body]) {
      expect(Object.keys(body).sort()).toEqual(Object.keys(eventSchema.shape).sort());
    }

    const changes = await changesOf(server, eventBucket(event.id));
    const eventChanges = changes.filter((change) => change.type === 'event');
    expect(eventChanges.length).toBeGreaterThanOrEqual(4);
    for (const change of eventChanges) expect(eventSchema.strict().safeParse(change.doc).success).toBe(true);
    const revs = eventChanges.map((change) => change.rev);
    expect(new Set(revs).size).toBe(revs.length);
    const keyChanges = changes.filter((change) => change.type === 'ticketKey');
    expect(keyChanges).toHaveLength(1);
    expect(ticketPublicKeySchema.strict().safeParse(keyChanges[0]!.doc).success).toBe(true);
    const serialized = JSON.stringify(changes);
    for (const secret of ['mailPending', 'fieldHlc', 'logPending', 'privateKey', 'seatsLeft', 'typeLeft']) {
      expect(serialized).not.toContain(secret);
    }
  });

  it('keeps ticket type ids across edits and refuses to drop a type that has bookings', async () => {
    const event = await createEvent(cast.organizer.api);
    const [standard, vip] = event.ticketTypes;
    const edited = await cast.organizer.api.patch(`/events/${event.id}`, {
      ticketTypes: [
        { id: standard!.id, name: 'Standard', price: 2000, quota: 70 },
        { id: vip!.id, name: 'VIP', price: 9000, quota: 20 },
        { id: 'made-up-id', name: 'Student', price: 1000, quota: 10 },
      ],
    });
    expect(edited.status).toBe(200);
    expect(edited.body.ticketTypes.slice(0, 2).map((type: { id: string }) => type.id)).toEqual([standard!.id, vip!.id]);
    expect(edited.body.ticketTypes[2].id).not.toBe('made-up-id');
    const booked = await cast.attendee.api.post(`/events/${event.id}/book`, { ticketTypeId: vip!.id, quantity: 1 });
    expect(booked.status).toBe(201);
    const dropVip = await cast.organizer.api.patch(`/events/${event.id}`, {
      ticketTypes: [{ id: standard!.id, name: 'Standard', price: 2000, quota: 70 }],
    });
    expect(dropVip.status).toBe(409);
    expect(dropVip.body.error.code).toBe('CONFLICT');
  });
});

describe('bad input on event routes is a documented 4xx', () => {
  it('create: end before start, negative capacity, huge strings, unknown fields, operators, bad zone', async () => {
    const start = Date.now() + 24 * HOUR_MS;
    const cases: Array<[string, Record<string, unknown>]> = [
      [
        'end before start',
        { endsAt: new Date(start - HOUR_MS).toISOString(), startsAt: new Date(start).toISOString() },
      ],
      ['not a date', { startsAt: '2026-13-45T25:00:00Z' }],
      ['no offset', { startsAt: '2026-12-01T19:00:00' }],
      ['negative capacity', { capacity: -1 }],
      ['fractional capacity', { capacity: 10.5 }],
      ['negative quota', { ticketTypes: [{ name: 'A', price: 0, quota: -5 }] }],
      ['no ticket types', { ticketTypes: [] }],
      [
        'duplicate type names',
        {
          ticketTypes: [
            { name: 'A', price: 0, quota: 1 },
            { name: 'a', price: 0, quota: 1 },
          ],
        },
      ],
      ['huge title', { title: 'x'.repeat(100_000) }],
      ['unknown field', { organizerId: cast.otherOrganizer.user.id }],
      ['unknown nested field', { ticketTypes: [{ name: 'A', price: 0, quota: 1, sold: 99 }] }],
      ['operator as value', { title: { $gt: '' } }],
      ['operator as key', { $set: { status: 'published' } }],
      ['bad time zone', { timezone: 'Mars/Olympus_Mons' }],
      ['bad status', { status: 'open' }],
    ];
    for (const [name, overrides] of cases) {
      const result = await cast.organizer.api.post('/events', eventInput(overrides));
      expect(result.status, name).toBe(400);
      expect(result.body.error.code, name).toBe('VALIDATION_FAILED');
      expect(result.body.error.details.length, name).toBeGreaterThan(0);
    }
    const tooLarge = await cast.organizer.api.post('/events', eventInput({ description: 'x'.repeat(2 * 1024 * 1024) }));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const malformed = await cast.organizer.api.request('POST', '/events', { raw: '{"title": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');
  });

  it('patch: empty, unknown fields, an end before the stored start, operators', async () => {
    const event = await createEvent(cast.organizer.api);
    const beforeStart = new Date(Date.parse(event.startsAt) - HOUR_MS).toISOString();
    const cases: Array<[string, unknown, number, string]> = [
      ['empty patch', {}, 400, 'VALIDATION_FAILED'],
      ['unknown field', { bookedCount: 0 }, 400, 'VALIDATION_FAILED'],
      ['organizer takeover', { organizerId: cast.otherOrganizer.user.id }, 400, 'VALIDATION_FAILED'],
      ['operator', { capacity: { $inc: 5 } }, 400, 'VALIDATION_FAILED'],
      ['end before stored start', { endsAt: beforeStart }, 400, 'VALIDATION_FAILED'],
      ['negative capacity', { capacity: -10 }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [name, body, status, code] of cases) {
      const result = await cast.organizer.api.patch(`/events/${event.id}`, body);
      expect(result.status, name).toBe(status);
      expect(result.body.error.code, name).toBe(code);
    }
    expect((await cast.organizer.api.get(`/events/${event.id}`)).body.endsAt).toBe(event.endsAt);
  });

  it('ids: non-existent → 404, wrong shape → 400, on every event route', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', ''],
      ['PATCH', '', { title: 'x' }],
      ['DELETE', ''],
      ['PUT', '/staff', { staffIds: [] }],
      ['GET', '/stats'],
      ['GET', '/ticket-keys'],
      ['GET', '/bookings'],
      ['POST', '/book', { ticketTypeId: 'tt', quantity: 1 }],
      ['POST', '/bookings', { ticketTypeId: 'tt', attendee: { name: 'Walk In' } }],
    ];
    for (const [method, suffix, json] of routes) {
      const missing = await cast.admin.api.request(method, `/events/${randomUUID()}${suffix}`, { json });
      expect(missing.status, `${method} ${suffix} missing`).toBe(404);
      expect(missing.body.error.code).toBe('NOT_FOUND');
      for (const badId of ['bad.id', 'x'.repeat(65), '%7B%22%24ne%22%3A1%7D', 'a%00b']) {
        const wrong = await cast.admin.api.request(method, `/events/${badId}${suffix}`, { json });
        expect(wrong.status, `${method} ${suffix} ${badId}`).toBe(400);
        expect(wrong.body.error.code).toBe('VALIDATION_FAILED');
      }
    }
  });

  it('list: bad cursor, limit out of range, unknown and operator query parameters', async () => {
    for (const query of ['cursor=not-a-cursor', 'limit=0', 'limit=501', 'sort=title', 'status=open', 'q[$ne]=x']) {
      const result = await cast.attendee.api.get(`/events?${query}`);
      expect(result.status, query).toBe(400);
      expect(['VALIDATION_FAILED', 'CURSOR_INVALID'], query).toContain(result.body.error.code);
    }
    expect((await cast.attendee.api.get('/events?cursor=not-a-cursor')).body.error.code).toBe('CURSOR_INVALID');
  });
});

describe('OpenAPI', () => {
  it('documents every event, booking and ticket route at /docs', async () => {
    const result = await cast.anonymous.get('/docs/json');
    expect(result.status).toBe(200);
    const paths = Object.keys(result.body.paths);
    for (const path of [
      '/events',
      '/events/{id}',
      '/events/{id}/staff',
      '/events/{id}/book',
      '/events/{id}/bookings',
      '/events/{id}/stats',
      '/bookings/me',
      '/bookings/{id}/cancel',
      '/bookings/{id}/ticket',
    ]) {
      expect(paths, path).toContain(path);
    }
    const create = result.body.paths['/events'].post;
    expect(create.requestBody.content['application/json'].schema.properties).toHaveProperty('ticketTypes');
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '403']));
    // A byte upload documents its media types and a binary body.
    const upload = result.body.paths['/bookings/{id}/photo'].put.requestBody;
    expect(Object.keys(upload.content)).toEqual(
      expect.arrayContaining(['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream']),
    );
    expect(upload.content['image/png'].schema).toMatchObject({ type: 'string', format: 'binary' });
  });
});
