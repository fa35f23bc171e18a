import { randomUUID } from 'node:crypto';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, registerUser, uniqueEmail } from '../../tests/support/http';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs, type SignedIn } from '../../tests/support/users';
import { MailSweeper, type TicketIssuer } from '../src/mail/sweeper';
import { countBy, decodeQrPng, FAST_MAIL, pendingHandoffs, SmtpSink, waitFor, type Transfer } from './mail-harness';
import { mailRows } from './store-inspect';

let sink: SmtpSink;
let server: TestServer;
let organizer: SignedIn;
let admin: SignedIn;

beforeAll(async () => {
  sink = await SmtpSink.start();
  server = await startTestServer({
    smtpUrl: sink.url,
    mailFrom: 'Gatehouse Tickets <tickets@gatehouse.example>',
    mail: { ...FAST_MAIL, maxAttempts: 3 },
    logLevel: 'warn',
  });
  organizer = await signInAs(server, 'organizer');
  admin = await signInAs(server, 'admin');
});
afterAll(async () => {
  await server?.close();
  await sink?.close();
});

type EventInput = { title?: string; venue?: string };
async function createEvent(input: EventInput = {}): Promise<{ id: string; ticketTypeId: string }> {
  const created = await organizer.api.post('/events', {
    title: input.title ?? 'Spring Gala',
    venue: input.venue ?? 'Town Hall, Main Street 1',
    description: 'An evening of music',
    startsAt: '2030-04-12T19:00:00+02:00',
    endsAt: '2030-04-12T23:30:00+02:00',
    timezone: 'Europe/Berlin',
    capacity: 100,
    status: 'published',
    ticketTypes: [{ name: 'Standard', price: 1500, quota: 100 }],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { id: created.body.id, ticketTypeId: created.body.ticketTypes[0].id };
}

async function book(
  eventId: string,
  ticketTypeId: string,
  attendee: { name: string; email: string },
): Promise<{ id: string; code: string; api: ApiClient }> {
  const user = await registerUser(new ApiClient(server.baseUrl), attendee.name.slice(0, 50) || 'x');
  const api = new ApiClient(server.baseUrl, user.accessToken);
  const booked = await api.post(`/events/${eventId}/book`, { ticketTypeId, quantity: 1, attendee });
  expect(booked.status, JSON.stringify(booked.body)).toBe(201);
  return { id: booked.body.id, code: booked.body.code, api };
}

/** Waits until the outbox has nothing left to do, then returns what was accepted for `address`. */
async function settled(): Promise<void> {
  await waitFor('the outbox to settle', async () => {
    // Upstream first: a hand-off is removed only after its message is queued, so no hand-offs,
    // then nothing queued, means nothing is on its way. Read the other way round, a message queued
    // between the two reads slipped through and arrived after "settled".
    const handOffs = await pendingHandoffs(server.ctx.store);
    const counts = await server.ctx.store.mail.countByStatus();
    const busy = counts.pending + counts.sending;
    return busy === 0 && handOffs === 0;
  });
}

function attachment(transfer: Transfer, filename: string) {
  const found = transfer.parsed.attachments.find((item) => item.filename === filename);
  expect(found, `attachment ${filename}`).toBeDefined();
  return found!;
}

function parseIcs(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const vevent = new ICAL.Event(calendar.getFirstSubcomponent('vevent')!);
  return { calendar, vevent };
}

describe('booking confirmation', () => {
  it('one message whose QR decodes to the ticket token and whose .ics parses, in the event time zone', async () => {
    const event = await createEvent({ title: 'Spring Gala' });
    const email = uniqueEmail('ada');
    const booking = await book(event.id, event.ticketTypeId, { name: 'Ada Lovelace', email });

    const [mail] = await waitFor(
      'the confirmation',
      () => sink.acceptedFor(email).length > 0 && sink.acceptedFor(email),
    );
    await settled();
    expect(sink.acceptedFor(email)).toHaveLength(1);
    expect(mail!.parsed.subject).toBe('Your tickets for Spring Gala');
    expect(mail!.parsed.messageId).toBe(`<bookingConfirmed.${booking.id}@gatehouse.example>`);
    expect(mail!.parsed.from?.text).toContain('tickets@gatehouse.example');
    expect(mail!.parsed.headers.get('auto-submitted')).toBe('auto-generated');

    const ticket = await booking.api.get(`/bookings/${booking.id}/ticket`);
    expect(ticket.status).toBe(200);
    const qr = attachment(mail!, 'ticket.png');
    expect(qr.contentType).toBe('image/png');
    expect(qr.cid).toBe('ticket-qr@gatehouse');
    expect(mail!.parsed.html).toContain('cid:ticket-qr@gatehouse');
    expect(decodeQrPng(qr.content)).toBe(ticket.body.token);

    const ics = attachment(mail!, 'event.ics');
    const { vevent } = parseIcs(ics.content.toString('utf8'));
    expect(vevent.summary).toBe('Spring Gala');
    expect(vevent.location).toBe('Town Hall, Main Street 1');
    expect(vevent.uid).toBe(`${event.id}@gatehouse`);
    expect(vevent.startDate.toJSDate().toISOString()).toBe('2030-04-12T17:00:00.000Z');
    expect(vevent.endDate.toJSDate().toISOString()).toBe('2030-04-12T21:30:00.000Z');

    // Shown as the attendee will live it: Berlin time, not the server's UTC.
    expect(mail!.parsed.text).toMatch(/12 April 2030/);
    expect(mail!.parsed.text).toMatch(/19:00/);
    expect(mail!.parsed.text).toContain('Europe/Berlin');
    expect(mail!.parsed.text).toContain(booking.code);
    expect(mail!.parsed.text).not.toMatch(/unsubscribe/i);
  });

  it('a name and title with HTML and CR/LF arrive escaped and harmless', async () => {
    const event = await createEvent({
      title: 'Gala <img src=x onerror=alert(1)>\r\nBcc: title-victim@example.org',
      venue: 'Hall "A" & <b>B</b>',
    });
    const email = uniqueEmail('eve');
    const name = 'Eve <script>alert("x")</script>\r\nBcc: victim@example.org\r\nX-Evil: 1';
    const booking = await book(event.id, event.ticketTypeId, { name, email });
    const [mail] = await waitFor(
      'the confirmation',
      () => sink.acceptedFor(email).length > 0 && sink.acceptedFor(email),
    );

    // Only the attendee was a recipient; no header was smuggled in.
    expect(sink.envelopeRecipients.filter((address) => address.includes('victim'))).toEqual([]);
    expect(mail!.to).toEqual([email]);
    expect(mail!.parsed.bcc).toBeUndefined();
    expect(mail!.parsed.headers.has('x-evil')).toBe(false);
    expect(mail!.parsed.subject).not.toMatch(/[\r\n]/);
    expect(mail!.parsed.subject).toContain('Bcc: title-victim@example.org'); // as text on one line

    // The HTML shows the text, never runs it.
    const html = String(mail!.parsed.html);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>B</b>');
    expect(html).toContain('Eve &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('Hall &quot;A&quot; &amp; &lt;b&gt;B&lt;/b&gt;');
    expect(mail!.parsed.text).toContain('Dear Eve <script>alert("x")</script> Bcc: victim@example.org X-Evil: 1,');

    const { vevent } = parseIcs(attachment(mail!, 'event.ics').content.toString('utf8'));
    expect(vevent.summary).toBe('Gala <img src=x onerror=alert(1)>\nBcc: title-victim@example.org');
    expect(booking.id).toBeTruthy();
  });

  it('a cancelled booking gets one cancellation mail', async () => {
    const event = await createEvent();
    const email = uniqueEmail('carl');
    const booking = await book(event.id, event.ticketTypeId, { name: 'Carl', email });
    const cancelled = await booking.api.post(`/bookings/${booking.id}/cancel`);
    expect(cancelled.status).toBe(200);
    await waitFor('the cancellation', () =>
      sink.acceptedFor(email).some((t) => t.parsed.subject?.startsWith('Booking cancelled')),
    );
    await settled();
    const subjects = sink.acceptedFor(email).map((t) => t.parsed.subject);
    expect(subjects.filter((s) => s?.startsWith('Booking cancelled'))).toHaveLength(1);
    expect(subjects.filter((s) => s?.startsWith('Your tickets'))).toHaveLength(subjects.length - 1);
  });
});

describe('event-wide mails', () => {
  it('a time change mails every confirmed attendee once; a cancellation mails everyone once', async () => {
    const event = await createEvent({ title: 'Harbour Festival' });
    const emails = Array.from({ length: 6 }, (_, i) => uniqueEmail(`fest${i}`));
    const bookings = [];
    for (const email of emails)
      bookings.push(await book(event.id, event.ticketTypeId, { name: `Guest ${email}`, email }));
    // Same address twice: still one mail per change. A cancelled booking: none.
    await book(event.id, event.ticketTypeId, { name: 'Second booking', email: emails[0]! });
    const gone = uniqueEmail('gone');
    const goneBooking = await book(event.id, event.ticketTypeId, { name: 'Gone', email: gone });
    expect((await goneBooking.api.post(`/bookings/${goneBooking.id}/cancel`)).status).toBe(200);
    await settled();
    const before = sink.accepted.length;

    const moved = await organizer.api.patch(`/events/${event.id}`, {
      startsAt: '2030-04-13T18:00:00+02:00',
      endsAt: '2030-04-13T22:00:00+02:00',
    });
    expect(moved.status).toBe(200);
    // A change attendees need not hear about sends nothing.
    expect((await organizer.api.patch(`/events/${event.id}`, { capacity: 90 })).status).toBe(200);
    await waitFor('change mails', () => sink.accepted.length - before >= emails.length);
    await settled();
    // Sweeping again (as after a crash) queues nothing new.
    await server.ctx.mail.sweeper.sweepOnce();
    const changed = sink.accepted.slice(before).filter((t) => t.parsed.subject === 'Changed: Harbour Festival');
    expect(changed.map((t) => t.to[0]).sort()).toEqual([...emails].sort());
    expect(sink.accepted.slice(before)).toHaveLength(emails.length);
    const { vevent } = parseIcs(attachment(changed[0]!, 'event.ics').content.toString('utf8'));
    expect(vevent.startDate.toJSDate().toISOString()).toBe('2030-04-13T16:00:00.000Z');
    expect(changed[0]!.parsed.text).toMatch(/13 April 2030/);

    const afterChange = sink.accepted.length;
    expect((await organizer.api.patch(`/events/${event.id}`, { status: 'cancelled' })).status).toBe(200);
    await waitFor('cancellation mails', () => sink.accepted.length - afterChange >= emails.length);
    await settled();
    const cancelledMails = sink.accepted.slice(afterChange);
    expect(cancelledMails.every((t) => t.parsed.subject === 'Cancelled: Harbour Festival')).toBe(true);
    expect(cancelledMails.map((t) => t.to[0]).sort()).toEqual([...emails].sort());
    const cancelledIcs = parseIcs(attachment(cancelledMails[0]!, 'event.ics').content.toString('utf8'));
    expect(cancelledIcs.vevent.component.getFirstPropertyValue('status')).toBe('CANCELLED');
    expect(sink.acceptedFor(gone).filter((t) => t.parsed.subject?.startsWith('C'))).toEqual([]);
  });
});

describe('event cancelled twice', () => {
  it('cancelled, reinstated and cancelled again: attendees get a cancellation mail each time', async () => {
    const event = await createEvent({ title: 'Twice Cancelled' });
    const emails = [uniqueEmail('twice0'), uniqueEmail('twice1')];
    for (const email of emails) await book(event.id, event.ticketTypeId, { name: `Guest ${email}`, email });
    await settled();
    const cancellations = () => sink.accepted.filter((t) => t.parsed.subject === 'Cancelled: Twice Cancelled');

    expect((await organizer.api.patch(`/events/${event.id}`, { status: 'cancelled' })).status).toBe(200);
    await waitFor('the first cancellation mails', () => cancellations().length >= emails.length, 10_000);
    await settled();
    expect((await organizer.api.patch(`/events/${event.id}`, { status: 'published' })).status).toBe(200);
    await settled();
    expect((await organizer.api.patch(`/events/${event.id}`, { status: 'cancelled' })).status).toBe(200);
    await waitFor('the second cancellation mails', () => cancellations().length >= 2 * emails.length, 10_000);
    await settled();
    // Sweeping again (as after a crash) queues nothing new.
    await server.ctx.mail.sweeper.sweepOnce();
    await settled();

    const mails = cancellations();
    expect(mails).toHaveLength(2 * emails.length);
    expect([...countBy(mails, (t) => t.to[0]!).entries()].sort()).toEqual(emails.map((email) => [email, 2]).sort());
    expect(new Set(mails.map((t) => t.messageId)).size).toBe(mails.length);
  });

  it('a bare eventCancelled hand-off, recorded before cancellations carried their rev, still mails attendees once', async () => {
    const event = await createEvent({ title: 'Cancelled Before Upgrade' });
    const emails = [uniqueEmail('bare0'), uniqueEmail('bare1')];
    for (const email of emails) await book(event.id, event.ticketTypeId, { name: `Guest ${email}`, email });
    await settled();
    const { store } = server.ctx;
    await store.events.update(event.id, () => ({
      set: { status: 'cancelled', updatedAt: new Date().toISOString() },
      mail: ['eventCancelled'],
    }));
    const cancellations = () => sink.accepted.filter((t) => t.parsed.subject === 'Cancelled: Cancelled Before Upgrade');
    await waitFor('the cancellation mails', () => cancellations().length >= emails.length, 10_000);
    await settled();
    expect(
      cancellations()
        .map((t) => t.to[0])
        .sort(),
    ).toEqual([...emails].sort());
    // Under the ids and marker it always had, so a fan-out begun before the upgrade is not sent again.
    const ids = (await mailRows(server)).filter((row) => row.eventId === event.id && row.kind === 'eventCancelled');
    expect(ids.map((row) => row.id.split(':').length)).toEqual([3, 3]);
    expect(await store.mail.fanOutDone(`${event.id}:eventCancelled`)).toBe(true);
  });
});

describe('mail sweeper', () => {
  it('hand-offs that keep failing neither starve a newer one nor make the sweeper spin', async () => {
    const { store, mail } = server.ctx;
    const running = mail.sweeper;
    await running.stop();
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    let sweeper: MailSweeper | undefined;
    try {
      const event = await createEvent({ title: 'Poisoned Evening' });
      // As many hand-offs as a sweep takes, recorded first and sorting first by id, whose mail
      // cannot be made: their tickets cannot be signed.
      const poisoned = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const id = `00000000-${randomUUID().slice(9)}`;
        poisoned.add(id);
        await store.bookings.book({
          booking: {
            id,
            eventId: event.id,
            userId: organizer.user.id,
            ticketTypeId: event.ticketTypeId,
            quantity: 1,
            attendee: { name: `Poisoned ${i}`, email: uniqueEmail(`poisoned${i}`) },
            source: 'online',
            createdAt: new Date().toISOString(),
          },
          limits: 'enforce',
          statuses: ['published'],
          codes: (attempt) => `P${id.slice(9, 17)}${attempt}`.toUpperCase(),
          mail: ['bookingConfirmed'],
        });
      }
      const issuer: TicketIssuer = {
        tokenFor: async (booking, window) => {
          if (poisoned.has(booking.id)) throw new Error('no key to sign this ticket with');
          return server.ctx.tickets.tokenFor(booking, window);
        },
      };
      const quiet = server.ctx.log.child({}, { level: 'silent' });
      sweeper = new MailSweeper(store, mail.outbox, issuer, quiet, () => mail.worker.wake(), { handoffsPerSweep: 3 });
      const sweeps = vi.spyOn(sweeper, 'sweepOnce');
      sweeper.start(100);
      await waitFor('a first sweep', () => sweeps.mock.calls.length > 0);

      const email = uniqueEmail('after-poison');
      await book(event.id, event.ticketTypeId, { name: 'After Poison', email });
      await waitFor(
        'the newer booking’s confirmation',
        () => sink.acceptedFor(email).some((t) => t.parsed.subject === 'Your tickets for Poisoned Evening'),
        10_000,
      );
      // No hot loop: about one sweep per interval while the failing hand-offs wait.
      const before = sweeps.mock.calls.length;
      await sleep(1_000);
      expect(sweeps.mock.calls.length - before).toBeLessThanOrEqual(15);
      const waiting = (await store.mail.handoffs(100)).filter((handoff) => poisoned.has(handoff.rowId));
      expect(waiting).toHaveLength(poisoned.size);
    } finally {
      await sweeper?.stop();
      // The server's own sweeper signs those tickets and clears them.
      running.start(server.ctx.config.mail.pollMs);
    }
    await settled();
  });
});

describe('dead letters (admin)', () => {
  it('a permanent refusal is dead at once; repeated temporary failures after maxAttempts; admins list, retry, discard', async () => {
    const event = await createEvent({ title: 'Dead Letter Night' });
    const refused = uniqueEmail('refused');
    const flaky = uniqueEmail('flaky');
    const failing = new Set([refused, flaky]);
    sink.answer = ({ to }) => (to[0] === refused ? 'refuse' : failing.has(to[0]!) ? 'reject' : 'accept');
    try {
      const refusedBooking = await book(event.id, event.ticketTypeId, { name: 'Refused', email: refused });
      const flakyBooking = await book(event.id, event.ticketTypeId, { name: 'Flaky', email: flaky });
      const dead = await waitFor('both dead', async () => {
        const rows = (await mailRows(server)).filter(
          (row) => [refusedBooking.id, flakyBooking.id].includes(row.bookingId ?? '') && row.status === 'dead',
        );
        return rows.length === 2 && rows;
      });
      const byTo = Object.fromEntries(dead.map((row) => [row.to, row]));
      expect(byTo[refused]!.attempts).toBe(1);
      expect(byTo[refused]!.lastError).toMatch(/550/);
      expect(byTo[flaky]!.attempts).toBe(3);
      expect(byTo[flaky]!.lastError).toMatch(/451/);

      const list = await admin.api.get('/admin/mail?status=dead&limit=500');
      expect(list.status).toBe(200);
      const ids = list.body.items.map((item: any) => item.id);
      expect(ids).toEqual(expect.arrayContaining([byTo[refused]!.id, byTo[flaky]!.id]));
      expect(list.body.items.every((item: any) => item.status === 'dead')).toBe(true);
      expect(list.body.items[0]).not.toHaveProperty('html');
      const summary = await admin.api.get('/admin/mail/summary');
      expect(summary.body.dead).toBeGreaterThanOrEqual(2);

      // Pagination walks every message once.
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 100; page++) {
        const result: any = await admin.api.get(`/admin/mail?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(result.status, JSON.stringify(result.body)).toBe(200);
        seen.push(...result.body.items.map((item: any) => item.id));
        cursor = result.body.nextCursor;
        if (!cursor) break;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe((await mailRows(server)).length);

      // The recipient's server works again: an admin retries, it goes out once, with the same Message-ID.
      failing.delete(flaky);
      const retried = await admin.api.post(`/admin/mail/${encodeURIComponent(byTo[flaky]!.id)}/retry`);
      expect(retried.status).toBe(200);
      expect(retried.body.status).toBe('pending');
      await waitFor('the retried message', () => sink.acceptedFor(flaky).length === 1);
      expect(sink.acceptedFor(flaky)[0]!.parsed.messageId).toBe(byTo[flaky]!.messageId);
      await settled();
      expect((await mailRows(server)).find((row) => row.id === byTo[flaky]!.id)!.status).toBe('sent');

      const discarded = await admin.api.post(`/admin/mail/${encodeURIComponent(byTo[refused]!.id)}/discard`);
      expect(discarded.status).toBe(200);
      expect(discarded.body.status).toBe('discarded');
      const again = await admin.api.post(`/admin/mail/${encodeURIComponent(byTo[flaky]!.id)}/discard`);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('CONFLICT');
      expect((await admin.api.post('/admin/mail/nothing:here/retry')).status).toBe(404);
      expect((await admin.api.post('/admin/mail/bad$id/retry')).body.error.code).toBe('VALIDATION_FAILED');
      expect((await admin.api.get('/admin/mail?status=lost')).status).toBe(400);
      expect((await admin.api.get('/admin/mail?cursor=garbage')).body.error.code).toBe('CURSOR_INVALID');
      expect(sink.acceptedFor(refused)).toHaveLength(0);
    } finally {
      sink.answer = () => 'accept';
    }
  });

  it('only admins may see or touch the outbox', async () => {
    const attendee = await registerUser(new ApiClient(server.baseUrl));
    for (const api of [organizer.api, new ApiClient(server.baseUrl, attendee.accessToken)]) {
      expect((await api.get('/admin/mail')).status).toBe(403);
      expect((await api.post('/admin/mail/x:y/retry')).status).toBe(403);
      expect((await api.post('/admin/mail/x:y/discard')).status).toBe(403);
    }
    expect((await new ApiClient(server.baseUrl).get('/admin/mail')).status).toBe(401);
  });
});
