import type { Booking, Event } from '@gatehouse/protocol';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { createEvent, ticketToken } from '../sync/support';
import { signIn, verdictPanel, wedgeScan } from './support/app';
import { type AppInChromium, closeAfterTests, openAppInChromium } from './support/appInChromium';
import { expectNoSeriousA11yViolations, screenshot } from './support/browser';
import { bookAttendee, portrait } from './support/photos';

/**
 * #20 part 4 at the door, in Chromium: a ticket whose type requires a photo shows the attendee's
 * photo large beside the name (fetched by the device after its first sync), and one without a
 * photo on file tells the steward to check ID.
 */
describe('door photos: the verdict shows the photo a ticket type requires', () => {
  let server: TestServer;
  let organizer: SignedIn;
  let staff: SignedIn;
  let app: AppInChromium;
  let page: Page;
  let event: Event;
  let withPhoto: Booking;
  let withoutPhoto: Booking;

  beforeAll(async () => {
    server = await startTestServer();
    [organizer, staff] = await Promise.all([
      signInAs(server, 'organizer', 'Ola Organizer'),
      signInAs(server, 'staff', 'Sid Steward'),
    ]);
    event = await createEvent(organizer.api, [staff.user.id], {
      title: 'Members Night',
      ticketTypes: [{ name: 'Member pass', price: 0, quota: 100, requiresPhoto: true }],
    });
    withPhoto = await bookAttendee(organizer, event, 'Pat Portrait');
    withoutPhoto = await bookAttendee(organizer, event, 'Nico Nophoto');
    const put = await fetch(`${server.baseUrl}/bookings/${withPhoto.id}/photo`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${organizer.accessToken}`, 'content-type': 'image/jpeg' },
      body: new Uint8Array(await portrait('#e8b894', { hair: true }).jpeg().toBuffer()),
    });
    expect(put.status).toBe(200);
    app = await openAppInChromium({
      name: 'door-photos',
      serverUrl: server.baseUrl,
      deviceName: 'gate-tablet',
      core: { pollMs: 1000, verifierCost: 2 ** 10 },
    });
    page = app.page;
  });

  closeAfterTests(
    () => app,
    () => server,
  );

  it('scans a member pass: the photo stands beside the name; without one, check ID', async () => {
    await signIn(page, { serverUrl: server.baseUrl, email: staff.user.email, password: staff.password });
    await page.getByRole('heading', { name: 'Check-in', level: 1 }).waitFor();
    await page.getByRole('combobox', { name: /event/i }).filter({ hasText: 'Members Night' }).waitFor();

    await wedgeScan(page, await ticketToken(organizer.api, withPhoto.id));
    await page.locator('[data-verdict="admit"][data-serial="1"]').waitFor();
    // Shown as soon as the device holds it (the verdict itself never waits for it).
    const photo = verdictPanel(page).getByRole('img', { name: 'Photo on file for Pat Portrait' });
    await photo.waitFor();
    expect(await photo.evaluate((img: HTMLImageElement) => img.naturalWidth > 0 && img.complete)).toBe(true);
    expect(await verdictPanel(page).textContent()).toContain('Pat Portrait');
    await screenshot(page, 'photos-01-verdict-with-photo-1366');
    await expectNoSeriousA11yViolations(page, 'check-in (verdict with photo)');

    await wedgeScan(page, await ticketToken(organizer.api, withoutPhoto.id));
    await page.locator('[data-verdict="admit"][data-serial="2"]').waitFor();
    await verdictPanel(page).getByText('No photo on file — check ID').waitFor();
    await screenshot(page, 'photos-02-verdict-no-photo-1366');
  });
});
