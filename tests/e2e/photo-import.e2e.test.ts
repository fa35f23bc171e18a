import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Booking, Event } from '@gatehouse/protocol';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { createEvent, ticketToken } from '../sync/support';
import { goTo, openAttendeesOf, verdictPanel, wedgeScan } from './support/app';
import { type AppInChromium, closeAfterTests } from './support/appInChromium';
import { expectNoSeriousA11yViolations, screenshot } from './support/browser';
import { openSignedInApp } from './support/organizerApp';
import { bookAttendee, portrait } from './support/photos';

/**
 * The organizer's "Import photos" on the Attendees screen, in Chromium through the browser host's
 * real core and a real server: a folder with two photos named after door codes, one named after
 * nobody, one GIF dressed up as a JPEG and a text file — the preview, the upload, the summary with
 * each outcome, and the door's verdict for a photo-required ticket showing the imported photo.
 */
describe('importing attendee photos from a folder', () => {
  let server: TestServer;
  let organizer: SignedIn;
  let app: AppInChromium;
  let page: Page;
  let event: Event;
  let ada: Booking;
  let bo: Booking;
  let cy: Booking;
  let folder: string;

  beforeAll(async () => {
    server = await startTestServer();
    organizer = await signInAs(server, 'organizer', 'Pia Photographer');
    event = await createEvent(organizer.api, [], {
      title: 'Members Gala',
      ticketTypes: [{ name: 'Member pass', price: 0, quota: 100, requiresPhoto: true }],
    });
    const book = (name: string) => bookAttendee(organizer, event, name);
    [ada, bo, cy] = [await book('Ada Lindqvist'), await book('Bo Marsh'), await book('Cy Gifford')];

    const root = mkdtempSync(path.join(tmpdir(), 'gatehouse-e2e-photos-'));
    folder = path.join(root, 'Gala photos');
    mkdirSync(folder);
    writeFileSync(path.join(folder, `${ada.code}.jpg`), await portrait('#e8b894').jpeg().toBuffer());
    writeFileSync(path.join(folder, `${bo.code.toLowerCase()}.png`), await portrait('#8d5524').png().toBuffer());
    writeFileSync(path.join(folder, 'Somebody Else.jpg'), await portrait('#c68642').jpeg().toBuffer());
    // A GIF renamed to .jpg: the server reads what the bytes are.
    writeFileSync(path.join(folder, `${cy.code}.jpg`), await portrait('#f1c27d').gif().toBuffer());
    writeFileSync(path.join(folder, 'notes.txt'), 'who is who');

    app = await openSignedInApp('photo-import', server, organizer);
    page = app.page;
  });

  closeAfterTests(
    () => app,
    () => server,
  );
  afterAll(() => rmSync(path.dirname(folder), { recursive: true, force: true }));

  it('previews a folder, uploads it and sums up each outcome; the door then shows the photo', async () => {
    await openAttendeesOf(page, event.title);
    await page.getByRole('row').filter({ hasText: 'Cy Gifford' }).waitFor();
    await page.getByRole('button', { name: 'Import photos…' }).click();
    const dialog = page.getByRole('dialog', { name: `Import attendee photos into ${event.title}` });
    await dialog.getByLabel('Choose a folder of photos').setInputFiles(folder);

    const preview = dialog.getByTestId('photo-import-preview');
    await preview.waitFor();
    expect(await preview.textContent()).toContain('4 photos to upload, 1 skipped (not images).');
    expect(await dialog.getByTestId('photo-import-not-known').textContent()).toContain('“Somebody Else”');
    expect(await dialog.getByTestId('photo-import-not-known').textContent()).not.toContain(ada.code);
    expect(await dialog.getByTestId('photo-import-skipped').textContent()).toBe('Skipped: notes.txt');
    await screenshot(page, 'photo-import-01-preview-1366');

    await dialog.getByRole('button', { name: 'Upload 4 photos' }).click();
    const summary = dialog.getByTestId('photo-import-summary');
    await summary.waitFor();
    expect(await summary.getByRole('status').textContent()).toBe('2 photos set, 1 unknown name, 1 refused, 0 failed.');
    expect(await summary.getByTestId('photo-import-unknown').textContent()).toContain('Somebody Else.jpg');
    await summary
      .getByRole('row')
      .filter({ hasText: `${cy.code}.jpg` })
      .filter({ hasText: 'IMAGE_TYPE_UNSUPPORTED' })
      .waitFor();
    expect(await dialog.getByRole('button', { name: /failed again/ }).count()).toBe(0);
    await expectNoSeriousA11yViolations(page, 'attendees (photo import summary)');
    await screenshot(page, 'photo-import-02-summary-1366');
    await page.setViewportSize({ width: 1024, height: 700 });
    await screenshot(page, 'photo-import-03-summary-1024');
    await page.setViewportSize({ width: 1366, height: 800 });
    await dialog.getByRole('button', { name: 'Close' }).click();

    // At the door: Ada's member pass shows the photo the folder gave her.
    await goTo(page, 'Check-in');
    await wedgeScan(page, await ticketToken(organizer.api, ada.id));
    await page.locator('[data-verdict="admit"][data-serial="1"]').waitFor();
    const photo = verdictPanel(page).getByRole('img', { name: 'Photo on file for Ada Lindqvist' });
    await photo.waitFor();
    expect(await photo.evaluate((img: HTMLImageElement) => img.naturalWidth > 0 && img.complete)).toBe(true);
    await screenshot(page, 'photo-import-04-verdict-1366');
  });
});

describe('a photo column in the CSV import', () => {
  let server: TestServer;
  let organizer: SignedIn;
  let app: AppInChromium;
  let page: Page;
  let event: Event;
  let folder: string;

  beforeAll(async () => {
    server = await startTestServer();
    organizer = await signInAs(server, 'organizer', 'Cato Sheets');
    event = await createEvent(organizer.api, [], {
      title: 'Rowing Club Dinner',
      ticketTypes: [{ name: 'Dinner', price: 0, quota: 100 }],
    });
    folder = mkdtempSync(path.join(tmpdir(), 'gatehouse-e2e-row-photos-'));
    const face = (colour: string) =>
      sharp({ create: { width: 240, height: 300, channels: 3, background: colour } })
        .jpeg()
        .toBuffer();
    writeFileSync(path.join(folder, 'liv.jpg'), await face('#c96'));
    writeFileSync(path.join(folder, 'Max.JPG'), await face('#69c'));
    app = await openSignedInApp('row-photos', server, organizer);
    page = app.page;
  });

  closeAfterTests(
    () => app,
    () => server,
  );
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('maps the Photo column, imports the rows, then puts each named photo from the folder on its booking', async () => {
    const csv = [
      'name,email,ticket_type,Photo',
      'Liv Oar,liv@example.test,Dinner,liv.jpg',
      'Max Stroke,max@example.test,Dinner,max.jpg',
      'Nils Cox,nils@example.test,Dinner,nils.jpg',
      'Ona Bow,ona@example.test,Dinner,',
    ].join('\n');
    await openAttendeesOf(page, event.title);
    await page.getByRole('button', { name: 'Import attendees…' }).click();
    const dialog = page.getByRole('dialog', { name: `Import attendees into ${event.title}` });
    await dialog
      .getByLabel('File')
      .setInputFiles({ name: 'dinner.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await dialog.getByTestId('import-detected').waitFor();
    await dialog.getByLabel('Column for photo file').selectOption({ label: 'Photo' });
    await dialog.getByRole('row').filter({ hasText: 'Liv Oar' }).waitFor();
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.getByTestId('import-summary').filter({ hasText: '4 rows: 4 added' }).waitFor();

    const photos = dialog.getByTestId('row-photos');
    expect(await photos.textContent()).toContain('3 imported rows name a photo');
    await photos.getByLabel("Choose the folder of the file's photos").setInputFiles(folder);
    const summary = photos.getByTestId('photo-import-summary');
    await summary.waitFor();
    expect(await summary.getByRole('status').textContent()).toBe('2 photos set, 0 unknown names, 1 refused, 0 failed.');
    await summary.getByRole('row').filter({ hasText: 'nils.jpg' }).filter({ hasText: 'NOT_FOUND' }).waitFor();
    await expectNoSeriousA11yViolations(page, 'attendees (CSV import with photos)');
    await screenshot(page, 'photo-import-05-csv-photos-1366');

    const list = await organizer.api.get<{ items: Booking[] }>(`/events/${event.id}/bookings`);
    const photoOf = (name: string) => list.body.items.find((b) => b.attendee.name === name)?.photoId ?? null;
    expect(photoOf('Liv Oar')).not.toBeNull();
    expect(photoOf('Max Stroke')).not.toBeNull();
    expect(photoOf('Nils Cox')).toBeNull();
  });
});
