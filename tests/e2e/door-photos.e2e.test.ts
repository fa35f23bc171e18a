import type { Booking, Event } from '@gatehouse/protocol';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { createEvent, ticketToken } from '../sync/support';
import { signIn, verdictPanel, wedgeScan } from './support/app';
import { type AppInChromium, closeAfterTests, openAppInChromium } from './support/appInChromium';
import { expectNoSeriousA11yViolations, screenshot } from './support/browser';

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

  /** A stand-in portrait: a face drawn in SVG, sent as the JPEG a phone camera would give. */
  const portrait = () =>
    sharp(
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="600">
          <rect width="480" height="600" fill="#9cc7e6"/>
          <ellipse cx="240" cy="270" rx="130" ry="165" fill="#e8b894"/>
          <circle cx="195" cy="240" r="14" fill="#333"/><circle cx="285" cy="240" r="14" fill="#333"/>
          <path d="M185 340 Q240 385 295 340" stroke="#833" stroke-width="10" fill="none"/>
          <rect x="110" y="90" width="260" height="90" rx="40" fill="#5a3b22"/>
        </svg>`,
      ),
    )
      .jpeg()
      .toBuffer();

  async function book(name: string): Promise<Booking> {
    const made = await organizer.api.post<Booking>(`/events/${event.id}/bookings`, {
      ticketTypeId: event.ticketTypes[0]!.id,
      attendee: { name },
    });
    expect(made.status).toBe(201);
    return made.body;
  }

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
    withPhoto = await book('Pat Portrait');
    withoutPhoto = await book('Nico Nophoto');
    const put = await fetch(`${server.baseUrl}/bookings/${withPhoto.id}/photo`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${organizer.accessToken}`, 'content-type': 'image/jpeg' },
      body: new Uint8Array(await portrait()),
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
