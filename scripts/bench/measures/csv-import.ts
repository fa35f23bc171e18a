import { randomUUID } from 'node:crypto';
import type { Event, ImportSummary } from '@gatehouse/protocol';
import { BenchApi } from '../api';
import type { Measure } from '../measure';
import { requireRoute } from '../routes';

/**
 * An Eventbrite attendee report of `rows` invented attendees, as the tool writes it (its columns,
 * its order-date format), in memory: about 190 bytes a row.
 */
export function eventbriteReport(rows: number): Buffer {
  const lines = [
    'Order #,Order Date,First Name,Last Name,Email,Quantity,Price Tier,Ticket Type,Attendee #,Group,Order Type,' +
      'Currency,Total Paid,Fees Paid,Eventbrite Fees,Eventbrite Payment Processing,Attendee Status',
  ];
  const first = ['Ada', 'Grace', 'Alan', 'Radia', 'Edsger', 'Hedy', 'Barbara', 'Donald', 'Zoë', 'Łukasz'];
  const last = ['Lovelace', 'Hopper', 'Turing', 'Perlman', 'Dijkstra', 'Lamarr', 'Liskov', 'Knuth', 'Ferrant', 'Węndt'];
  for (let i = 0; i < rows; i++) {
    const vip = i % 10 === 0;
    lines.push(
      `${7_300_000_000 + Math.floor(i / 2)},2026-03-02 09:14:55-08:00,${first[i % 10]},${last[(i * 7) % 10]} ${i},` +
        `bench.attendee${i}@example.test,1,,${vip ? 'VIP' : 'General Admission'},${9_900_000_000 + i},,` +
        `Eventbrite Completed,USD,${vip ? '90.00' : '25.00'},2.16,1.64,0.52,Attending`,
    );
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

/**
 * CSV import of attendees end to end (issue #20: 100,000 rows ≤ 30 s on the default store): a
 * fresh event, an Eventbrite report of `--bookings` rows posted as `text/csv` to
 * `POST /events/:id/imports` by its organizer, timed from the first byte sent to the summary
 * read — parsing, checking, matching and writing every booking with its change-log entry.
 */
export const csvImport: Measure = {
  name: 'csv_import',
  timeLimitSeconds: 300,
  async run(ctx) {
    const { server, fixture, options } = ctx;
    const rows = options.bookings;
    const organizer = new BenchApi(server.baseUrl, fixture.organizer.accessToken);
    const event = await organizer.call<Event>('POST', '/events', {
      title: 'Bench import',
      description: 'CSV import measure',
      venue: 'Loopback Hall',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      endsAt: new Date(Date.now() + 90_000_000).toISOString(),
      timezone: 'Europe/Berlin',
      capacity: rows + 10,
      status: 'published',
      ticketTypes: [
        { name: 'General Admission', price: 2500, quota: rows },
        { name: 'VIP', price: 9000, quota: rows },
      ],
    });
    const body = eventbriteReport(rows);
    const started = performance.now();
    const response = await requireRoute(
      // Named, as the app names it, so the server records its progress per chunk as it does for the app.
      await fetch(`${server.baseUrl}/events/${event.id}/imports?importId=${randomUUID()}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fixture.organizer.accessToken}`, 'content-type': 'text/csv' },
        body,
        signal: AbortSignal.timeout(290_000),
      }),
      'POST /events/:id/imports',
    );
    const text = await response.text();
    const seconds = (performance.now() - started) / 1000;
    if (!response.ok) throw new Error(`import → ${response.status} ${text.slice(0, 300)}`);
    const summary = JSON.parse(text) as ImportSummary;
    if (summary.created !== rows) throw new Error(`imported ${summary.created} of ${rows}: ${text.slice(0, 300)}`);
    return {
      rows,
      bytes: body.length,
      seconds: Math.round(seconds * 100) / 100,
      rowsPerSecond: Math.round(rows / seconds),
      targetSeconds: 30,
    };
  },
};
