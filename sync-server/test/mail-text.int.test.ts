import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, uniqueEmail } from '../../tests/support/http';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs, type SignedIn } from '../../tests/support/users';
import { FAST_MAIL, SmtpSink, waitFor, type Transfer } from './mail-harness';

/**
 * People's text and event times as a real mail shows them, through the in-process SMTP server:
 * a subject cut at 200 code units never splits an emoji (a half surrogate pair arrives as U+FFFD),
 * and a time range across a clock change names each end's zone.
 */

let sink: SmtpSink;
let server: TestServer;
let organizer: SignedIn;

beforeAll(async () => {
  sink = await SmtpSink.start();
  server = await startTestServer({ smtpUrl: sink.url, mail: FAST_MAIL, logLevel: 'warn' });
  organizer = await signInAs(server, 'organizer');
});
afterAll(async () => {
  await server?.close();
  await sink?.close();
});

type Times = { startsAt: string; endsAt: string; timezone: string };

/** Creates a published event, books it as a new attendee and returns the confirmation as received. */
async function confirmationFor(title: string, times: Times): Promise<Transfer> {
  const created = await organizer.api.post('/events', {
    title,
    venue: 'Town Hall',
    description: '',
    ...times,
    capacity: 10,
    status: 'published',
    ticketTypes: [{ name: 'Standard', price: 0, quota: 10 }],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const email = uniqueEmail('text');
  const user = await registerUser(new ApiClient(server.baseUrl), 'Text Tester');
  const booked = await new ApiClient(server.baseUrl, user.accessToken).post(`/events/${created.body.id}/book`, {
    ticketTypeId: created.body.ticketTypes[0].id,
    quantity: 1,
    attendee: { name: 'Text Tester', email },
  });
  expect(booked.status, JSON.stringify(booked.body)).toBe(201);
  const [mail] = await waitFor('the confirmation', () => sink.acceptedFor(email).length > 0 && sink.acceptedFor(email));
  return mail!;
}

/** Whether `text` holds a surrogate without its other half. */
const loneSurrogate = (text: string) => /\p{Surrogate}/u.test(text);

describe('mail text', () => {
  it('a 200-character title with an emoji at the cut: the subject ends before the emoji, without U+FFFD; Berlin 02:30 CEST–02:45 CET names both zones', async () => {
    // "Your tickets for " is 17 code units: the emoji's two halves are units 198 and 199 of the
    // subject, exactly where a cut to 199 + "…" used to fall between them.
    const title = `${'A'.repeat(181)}🎉${'B'.repeat(17)}`;
    expect(title).toHaveLength(200);
    const mail = await confirmationFor(title, {
      // The last Sunday of October 2027: at 03:00 CEST the clocks go back to 02:00 CET. 75 minutes.
      startsAt: '2027-10-31T02:30:00+02:00',
      endsAt: '2027-10-31T02:45:00+01:00',
      timezone: 'Europe/Berlin',
    });
    const subject = mail.parsed.subject ?? '';
    expect(subject).not.toContain('\uFFFD');
    expect(loneSurrogate(subject)).toBe(false);
    expect(subject).toBe(`Your tickets for ${'A'.repeat(181)}…`);

    const when = 'Sunday, 31 October 2027 at 02:30 CEST – 02:45 CET';
    expect(mail.parsed.text).toContain(`When:      ${when}`);
    expect(String(mail.parsed.html)).toContain(`<td style="padding:4px 0">${when}</td>`);
    expect(mail.parsed.text).not.toContain('02:30–02:45 CET');
  });

  it('a family emoji (ZWJ sequence) at the cut goes whole; New York 01:30 EDT–01:45 EST names both offsets', async () => {
    const family = '👨\u200d👩\u200d👧';
    const title = `${'B'.repeat(178)}${family} and friends`;
    const mail = await confirmationFor(title, {
      // First Sunday of November 2027: at 02:00 EDT the clocks go back to 01:00 EST. 75 minutes.
      startsAt: '2027-11-07T01:30:00-04:00',
      endsAt: '2027-11-07T01:45:00-05:00',
      timezone: 'America/New_York',
    });
    const subject = mail.parsed.subject ?? '';
    expect(subject).toBe(`Your tickets for ${'B'.repeat(178)}…`);
    expect(subject).not.toContain('\u200d');
    expect(loneSurrogate(subject)).toBe(false);
    // en-GB has no abbreviation for New York's zones: the offsets name them.
    expect(mail.parsed.text).toContain('Sunday, 7 November 2027 at 01:30 GMT-4 – 01:45 GMT-5');
  });
});
