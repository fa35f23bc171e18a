import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { addBookings, createEvent, ticketToken } from '../sync/support';
import { signIn, verdictPanel } from './support/app';
import { type AppInChromium, openAppInChromium } from './support/appInChromium';
import { screenshot } from './support/browser';
import { qrLuma, writeY4m } from './support/fakeCamera';

/**
 * The camera path (#19): Chromium's fake camera plays a video drawn from a ticket the server
 * issued, and the check-in screen's camera admits its guest.
 */
describe('a ticket held to the camera', () => {
  let server: TestServer;
  let staff: SignedIn;
  let app: AppInChromium;
  let page: Page;
  /** The fake camera's video, made before Chromium starts. */
  let videoDir: string;
  /** The name on the ticket in the video. */
  let guest: string;

  beforeAll(async () => {
    videoDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-e2e-camera-video-'));
    server = await startTestServer();
    const organizer = await signInAs(server, 'organizer', 'Cam Organizer');
    staff = await signInAs(server, 'staff', 'Cam Steward');
    const event = await createEvent(organizer.api, [staff.user.id], { title: 'Lens Night' });
    // ZXing's detector misses a few perfectly drawn codes at every module size the picture allows
    // (a ticket's token is random), so the video shows the first of a few tickets it reads back.
    const bookingIds = await addBookings(server, event, 8, 'Camera Guest');
    let drawn: { luma: Uint8Array; guest: string } | null = null;
    for (const [index, bookingId] of bookingIds.entries()) {
      const luma = qrLuma(await ticketToken(organizer.api, bookingId));
      if (luma) {
        drawn = { luma, guest: `Camera Guest ${index}` };
        break;
      }
    }
    if (!drawn) throw new Error('ZXing read back none of 8 tickets drawn as QR codes');
    guest = drawn.guest;
    const video = path.join(videoDir, 'ticket.y4m');
    writeY4m(video, drawn.luma);
    app = await openAppInChromium({
      name: 'camera',
      serverUrl: server.baseUrl,
      deviceName: 'door-tablet',
      core: { pollMs: 1000, verifierCost: 2 ** 10 },
      chromiumArgs: [
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${video}`,
        // Answers the camera prompt, which a headless browser has no one to click.
        '--use-fake-ui-for-media-stream',
      ],
      permissions: ['camera'],
    });
    page = app.page;
  });

  afterEach((test) => app?.screenshotIfFailed(test));

  afterAll(async () => {
    await app?.close();
    await server?.close().catch(() => undefined);
    if (videoDir) rmSync(videoDir, { recursive: true, force: true });
  });

  it('a QR held to the camera is admitted', async () => {
    await signIn(page, { serverUrl: server.baseUrl, email: staff.user.email, password: staff.password });
    await page.getByRole('heading', { name: 'Check-in', level: 1 }).waitFor();
    await page.getByRole('combobox', { name: /event/i }).filter({ hasText: 'Lens Night' }).waitFor();
    await page.getByRole('button', { name: 'Start camera' }).click();
    await page.getByRole('button', { name: 'Stop camera' }).waitFor();
    // The guest in the video, admitted — once: the ticket stays in view, and is not read again
    // while it does (a second read would show DUPLICATE over the admission).
    await verdictPanel(page)
      .and(page.locator('[data-verdict="admit"][data-serial="1"]'))
      .filter({ hasText: guest })
      .waitFor({ timeout: 30_000 });
    await screenshot(page, 'camera-admit-1366');
    // Still the one admission when the panel steps back to "Ready for the next guest" (after the
    // repeat window has long passed with the ticket in view).
    await verdictPanel(page).and(page.locator('[data-serial="1"][data-state="ready"]')).waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-serial="2"]').count()).toBe(0);
    await page.getByRole('button', { name: 'Stop camera' }).click();
    await page.getByRole('button', { name: 'Start camera' }).waitFor();
  });
});
