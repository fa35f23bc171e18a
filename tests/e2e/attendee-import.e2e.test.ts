import type { Event } from '@gatehouse/protocol';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { createEvent } from '../sync/support';
import { openAttendeesOf } from './support/app';
import { type AppInChromium, closeAfterTests } from './support/appInChromium';
import { screenshot } from './support/browser';
import { openSignedInApp } from './support/organizerApp';

/** A small pretix export with invented people; line 4 names a ticket type the event lacks. */
const PRETIX_CSV = [
  'Order code,Position ID,Status,Email,Order date,Product,Attendee name,Attendee email',
  'QX7KD,1,paid,buyer@example.test,2026-03-02,Festival pass,Ilse Brandvold,ilse@example.test',
  'QX7KD,2,paid,buyer@example.test,2026-03-02,Festival pass,Teodor Brandvold,teodor@example.test',
  'RM2PA,1,paid,kasia@example.test,2026-03-05,Backstage tour,Kasia Węndt,kasia@example.test',
  'RM2PB,1,paid,noor@example.test,2026-03-05,festival PASS,Noor Vale,noor@example.test',
].join('\r\n');

/**
 * The organizer's "Import attendees" dialog in Chromium, through the browser host's real core and
 * a real server: a pretix file chosen in the file input, the preset detected and its columns
 * mapped, the preview marking the row whose ticket type is unknown by line and column, the import
 * with its progress bar, the summary with the refused row, and the imported guests in the table.
 */
describe('importing attendees from a CSV file', () => {
  let server: TestServer;
  let organizer: SignedIn;
  let app: AppInChromium;
  let page: Page;
  let event: Event;

  beforeAll(async () => {
    server = await startTestServer();
    organizer = await signInAs(server, 'organizer', 'Iris Importer');
    event = await createEvent(organizer.api, [], {
      title: 'Northern Lights Festival',
      ticketTypes: [{ name: 'Festival pass', price: 4500, quota: 100_000 }],
    });
    app = await openSignedInApp('import', server, organizer, 900);
    page = app.page;
  });

  closeAfterTests(
    () => app,
    () => server,
  );

  it('previews, maps, imports with progress and lists the refused row', async () => {
    await openAttendeesOf(page, event.title);
    await page.getByRole('button', { name: 'Import attendees…' }).click();
    const dialog = page.getByRole('dialog', { name: `Import attendees into ${event.title}` });
    await dialog.getByLabel('File').setInputFiles({
      name: 'pretix-positions.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(PRETIX_CSV, 'utf8'),
    });
    await dialog.getByTestId('import-detected').filter({ hasText: 'pretix order positions' }).waitFor();
    expect(await dialog.getByLabel('Column for name').inputValue()).toBe(JSON.stringify(['Attendee name']));
    expect(await dialog.getByLabel('Column for email').inputValue()).toBe(JSON.stringify(['Attendee email']));
    expect(await dialog.getByLabel('Column for order date').inputValue()).toBe(JSON.stringify(['Order date']));
    const preview = dialog.getByRole('table', { name: 'First rows of the file' });
    await preview.getByRole('row').filter({ hasText: 'Kasia Węndt' }).waitFor();
    await preview
      .getByRole('row')
      .filter({ hasText: 'Line 4, column Product: The event has no ticket type "Backstage tour"' })
      .waitFor();
    expect(await preview.getByRole('row').filter({ hasText: 'Noor Vale' }).textContent()).toContain('Festival pass');
    await screenshot(page, 'import-01-preview-1366');

    // Mapping by hand: the buyer's email instead of the attendee's, then back.
    await dialog.getByLabel('Column for email').selectOption({ label: 'Email' });
    await preview.getByRole('row').filter({ hasText: 'buyer@example.test' }).first().waitFor();
    await dialog.getByLabel('Column for email').selectOption({ label: 'Attendee email' });
    await preview.getByRole('row').filter({ hasText: 'ilse@example.test' }).waitFor();

    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    const summary = dialog.getByTestId('import-summary');
    await summary.waitFor();
    expect(await summary.getByRole('status').textContent()).toBe('4 rows: 3 added, 0 updated, 0 unchanged, 1 refused.');
    expect(await dialog.getByTestId('import-progress').count()).toBe(0);
    await summary.getByRole('row').filter({ hasText: 'IMPORT_UNKNOWN_TICKET_TYPE' }).waitFor();
    expect(await summary.getByRole('link', { name: 'Download the refused rows' }).getAttribute('download')).toBe(
      'refused-rows.csv',
    );
    await screenshot(page, 'import-02-summary-1366');
    await dialog.getByRole('button', { name: 'Close' }).click();
    // The imported guests sync to this device like any booking.
    for (const name of ['Ilse Brandvold', 'Teodor Brandvold', 'Noor Vale']) {
      await page.getByRole('row').filter({ hasText: name }).waitFor();
    }
  });

  it('shows the bytes uploaded, then the rows written, and a re-import changes nothing', async () => {
    const rows = ['name,email,ticket_type'];
    // Several chunks to send and rows to save: the bar is there from the first chunk to the summary.
    for (let i = 0; i < 20_000; i++) rows.push(`Guest Number ${i},guest.${i}@example.test,Festival pass`);
    const file = Buffer.from(rows.join('\n'), 'utf8');
    const dialog = page.getByRole('dialog', { name: `Import attendees into ${event.title}` });
    for (const expected of ['20,000 rows: 20,000 added', '20,000 rows: 0 added, 0 updated, 20,000 unchanged']) {
      await page.getByRole('button', { name: 'Import attendees…' }).click();
      await dialog.getByLabel('File').setInputFiles({ name: 'guests.csv', mimeType: 'text/csv', buffer: file });
      await dialog.getByTestId('import-detected').filter({ hasText: 'Name, email, ticket type' }).waitFor();
      await dialog.getByRole('button', { name: 'Import', exact: true }).click();
      await dialog.getByTestId('import-progress').waitFor();
      // After the upload, the server's own progress: rows written of the 20,000 (recorded every 1,000).
      // Only the first import writes for long enough to be seen between two polls (500 ms); the
      // re-import changes nothing and may finish between them.
      if (expected.endsWith(' added')) {
        await dialog
          .getByTestId('import-progress-text')
          .filter({ hasText: /^Writing rows… [\d,]+ of 20,000$/ })
          .waitFor();
      }
      await dialog.getByTestId('import-summary').filter({ hasText: expected }).waitFor();
      await dialog.getByRole('button', { name: 'Close' }).click();
    }
  });
});
