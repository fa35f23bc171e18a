import { buildServer } from '@gatehouse/sync-server';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAST_MAIL, SmtpSink } from '../../sync-server/test/mail-harness';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { connection, goTo, pendingCount, signIn, verdictPanel, wedgeScan } from './support/app';
import { type AppInChromium, openAppInChromium } from './support/appInChromium';
import { expectNoSeriousA11yViolations, screenshot } from './support/browser';

/**
 * The whole product in a real browser: two devices (browser hosts with their own SQLite folders) on a
 * real sync server over FerretDB. An organizer creates an event and a walk-in; a steward scans it by
 * keyboard wedge; the server goes away and comes back while the steward keeps working.
 */
describe('check-in across two devices, online and offline', () => {
  let server: TestServer;
  let smtp: SmtpSink;
  /** Recipients the SMTP server refuses for good (550), so their mail becomes a dead letter. */
  const refused = new Set<string>();
  let port: number;
  let organizer: SignedIn;
  let staff: SignedIn;
  const devices: AppInChromium[] = [];
  let organizerPage: Page;
  let staffPage: Page;
  let eventId = '';
  let walkInToken = '';
  const title = `Harbour Lights ${Date.now().toString(36)}`;
  const walkInName = 'Wanda Walk-in';
  const offlineGuests: Array<{ name: string; bookingId: string; token: string }> = [];

  /** One device (its own browser host, data folder and Chromium); `who` names its failure screenshots. */
  async function openDevice(who: string, deviceName: string): Promise<Page> {
    const device = await openAppInChromium({
      name: `checkin-${who}`,
      serverUrl: server.baseUrl,
      deviceName,
      // Poll every second so recovery after the outage is quick to observe.
      core: { pollMs: 1000, verifierCost: 2 ** 10 },
      context: { viewport: { width: 1280, height: 720 } },
    });
    devices.push(device);
    return device.page;
  }

  async function expectVerdict(page: Page, verdict: string, serial: number): Promise<void> {
    await page.locator(`[data-verdict="${verdict}"][data-serial="${serial}"]`).waitFor();
  }

  beforeAll(async () => {
    smtp = await SmtpSink.start();
    smtp.answer = ({ to }) => (to.some((address) => refused.has(address)) ? 'refuse' : 'accept');
    server = await startTestServer({ smtpUrl: smtp.url, mail: FAST_MAIL });
    port = Number(new URL(server.baseUrl).port);
    [organizer, staff] = await Promise.all([
      signInAs(server, 'organizer', 'Olu Organizer'),
      signInAs(server, 'staff', 'Sam Steward'),
    ]);
    organizerPage = await openDevice('organizer', 'organizer-laptop');
    staffPage = await openDevice('staff', 'gate-a-tablet');
  });

  // What each device showed when a step failed, next to the step screenshots.
  afterEach(async (test) => {
    for (const device of devices) await device.screenshotIfFailed(test);
  });

  afterAll(async () => {
    for (const device of devices) await device.close();
    await server?.close().catch(() => undefined);
    await smtp?.close().catch(() => undefined);
  });

  it('an organizer signs in, creates an event and adds a walk-in', async () => {
    const page = organizerPage;
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    await screenshot(page, '01-sign-in');
    await expectNoSeriousA11yViolations(page, 'sign in');
    await signIn(page, { serverUrl: server.baseUrl, email: organizer.user.email, password: organizer.password });

    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
    await page.getByText('No events yet.').waitFor();
    await screenshot(page, '02-events-empty');
    await page.getByRole('button', { name: 'New event' }).click();
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Venue').fill('Pier 4, the long warehouse by the water');
    // Doors are open now: tickets are only valid around the event's own time.
    const [startsAt, endsAt] = await page.evaluate(() =>
      [-1, 4].map((hours) => {
        const at = new Date(Date.now() + hours * 3_600_000 - new Date().getTimezoneOffset() * 60_000);
        return at.toISOString().slice(0, 16);
      }),
    );
    await page.getByLabel('Starts').fill(startsAt!);
    await page.getByLabel('Ends').fill(endsAt!);
    await screenshot(page, '03-event-editor');
    await expectNoSeriousA11yViolations(page, 'event editor');
    await page.getByRole('button', { name: 'Create event' }).click();
    await page.getByRole('cell', { name: title, exact: true }).waitFor();
    await screenshot(page, '04-events-list');
    await expectNoSeriousA11yViolations(page, 'events list');

    await page.getByRole('button', { name: `Attendees of ${title}` }).click();
    await page.getByRole('heading', { name: 'Attendees', level: 1 }).waitFor();
    await page.getByText('No bookings yet.').waitFor();
    await page.getByLabel('Walk-in name').fill(walkInName);
    await page.getByRole('button', { name: 'Add walk-in' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Added ${walkInName}` })
      .waitFor();
    await page.getByRole('row').filter({ hasText: walkInName }).waitFor();
    // The walk-in is pushed at once; the server then signs its ticket.
    await page.waitForFunction(() => document.querySelector('[data-testid="pending-count"]')?.textContent === '0');
    await screenshot(page, '05-attendees');
    await expectNoSeriousA11yViolations(page, 'attendees');

    await page.getByRole('button', { name: 'Show ticket' }).click();
    const dialog = page.getByRole('dialog', { name: 'Ticket' });
    await dialog.getByRole('img', { name: 'Ticket QR code' }).waitFor();
    walkInToken = await dialog.getByTestId('ticket-token').inputValue();
    expect(walkInToken).toMatch(/^GH1\./);
    // The badge says whose ticket, for what, and the short code under the QR; it prints alone.
    const badge = await dialog.getByTestId('ticket-badge').textContent();
    const addedCode = /\(([0-9A-Z]{8})\)/.exec((await page.getByText(`Added ${walkInName}`).textContent()) ?? '')?.[1];
    for (const part of [walkInName, title, 'General admission', addedCode!]) expect(badge).toContain(part);
    await page.evaluate(() => {
      window.print = () => document.body.setAttribute('data-printed', 'yes');
    });
    await dialog.getByRole('button', { name: 'Print badge' }).click();
    expect(await page.locator('body').getAttribute('data-printed')).toBe('yes');
    await screenshot(page, '06-ticket');
    await expectNoSeriousA11yViolations(page, 'ticket dialog');
    await dialog.getByRole('button', { name: 'Close' }).click();

    const events = await organizer.api.get(`/events?q=${encodeURIComponent(title)}`);
    expect(events.body.items).toHaveLength(1);
    eventId = events.body.items[0].id;
    const walkIns = await organizer.api.get(`/events/${eventId}/bookings?q=wanda`);
    expect(walkIns.body.items.map((booking: any) => booking.source)).toEqual(['walkIn']);
    // The code the organizer was shown offline-first is the code the server keeps.
    const shownCode = /\(([0-9A-Z]{8})\)/.exec((await page.getByText(`Added ${walkInName}`).textContent()) ?? '')?.[1];
    expect(walkIns.body.items[0].code).toBe(shownCode);

    // The organizer puts the steward on the door team.
    await page.getByRole('button', { name: 'Events', exact: true }).click();
    await page.getByRole('button', { name: `Staff of ${title}` }).click();
    await page.getByText('Nobody is assigned yet.').waitFor();
    await page.getByLabel('Find staff by name or email').fill('steward');
    await page.getByRole('button', { name: `Add ${staff.user.name}` }).click();
    await page.getByRole('list', { name: 'Assigned staff' }).getByText(staff.user.email).waitFor();
    await screenshot(page, '06b-event-staff');
    await expectNoSeriousA11yViolations(page, 'event staff');
    expect((await organizer.api.get(`/events/${eventId}`)).body.staffIds).toEqual([staff.user.id]);
    await page.getByRole('button', { name: 'Back to events' }).click();
    // The organizer keeps the attendee list open while the doors are open.
    await page.getByRole('button', { name: `Attendees of ${title}` }).click();
    await page.getByRole('heading', { name: 'Attendees', level: 1 }).waitFor();
  });

  it('a steward on a second device scans the walk-in by keyboard wedge: admit, then duplicate', async () => {
    // Guests who booked ahead, online: not the app's job, so set up through the server API.
    const event = (await organizer.api.get(`/events/${eventId}`)).body;
    for (const name of ['Omar Offline', 'Olga Offline', 'Manuel Manual-Search']) {
      const created = await organizer.api.post(`/events/${eventId}/bookings`, {
        ticketTypeId: event.ticketTypes[0].id,
        attendee: { name },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const ticket = await organizer.api.get(`/bookings/${created.body.id}/ticket`);
      offlineGuests.push({ name, bookingId: created.body.id, token: ticket.body.token });
    }

    const page = staffPage;
    await signIn(page, { serverUrl: server.baseUrl, email: staff.user.email, password: staff.password });
    // Staff see only what they need: check-in, the attendee list, sync and their profile.
    const navigation = page.getByRole('navigation', { name: 'Main' });
    expect(await navigation.getByRole('button').allTextContents()).toEqual([
      'Check-in',
      'Attendees',
      'Sync',
      'Profile',
    ]);
    await page.getByRole('heading', { name: 'Check-in', level: 1 }).waitFor();
    await page.getByTestId('admitted-count').filter({ hasText: '0 / 4' }).waitFor();
    await screenshot(page, '07-checkin-ready');
    await expectNoSeriousA11yViolations(page, 'check-in (ready)');

    await wedgeScan(page, walkInToken);
    await expectVerdict(page, 'admit', 1);
    expect(await verdictPanel(page).textContent()).toContain('ADMIT');
    expect(await verdictPanel(page).textContent()).toContain(walkInName);
    await page.getByTestId('admitted-count').filter({ hasText: '1 / 4' }).waitFor();
    await screenshot(page, '08-checkin-admit');
    await expectNoSeriousA11yViolations(page, 'check-in (admit)');

    await wedgeScan(page, walkInToken);
    await expectVerdict(page, 'duplicate', 2);
    const duplicate = await verdictPanel(page).textContent();
    expect(duplicate).toContain('DUPLICATE');
    // The first entry is named once: its time and gate, not twice in two formats.
    expect(duplicate).toMatch(/Already inside since \d{2}:\d{2} \(Main gate\)/);
    expect(duplicate?.match(/\d{1,2}:\d{2}/g)).toHaveLength(1);
    await screenshot(page, '09-checkin-duplicate');
    await expectNoSeriousA11yViolations(page, 'check-in (duplicate)');
  });

  it('the steward gets the walk-in form once the organizer lets staff add walk-ins', async () => {
    const page = staffPage;
    const walkInForm = page.getByRole('form', { name: 'Add walk-in' });
    await goTo(page, 'Attendees');
    await page.getByRole('row').filter({ hasText: walkInName }).waitFor();
    expect(await walkInForm.count()).toBe(0);
    expect(await page.getByRole('button', { name: `Cancel booking of ${walkInName}` }).count()).toBe(0);

    const organizerSide = organizerPage;
    await goTo(organizerSide, 'Events');
    await organizerSide.getByRole('button', { name: `Edit ${title}` }).click();
    const setting = organizerSide.getByLabel('Check-in staff may add walk-ins');
    expect(await setting.isChecked()).toBe(false);
    await setting.check();
    await organizerSide.getByRole('button', { name: 'Save changes' }).click();
    await organizerSide.getByRole('cell', { name: title, exact: true }).waitFor();

    // The edit reaches the steward's device by sync; the form appears without a reload.
    await walkInForm.waitFor();
    await screenshot(page, '09b-staff-walk-in-form');
    await expectNoSeriousA11yViolations(page, 'attendees (staff)');
    expect((await organizer.api.get(`/events/${eventId}`)).body.staffWalkIns).toBe(true);
    await goTo(organizerSide, 'Attendees');
    await goTo(page, 'Check-in');
  });

  it('keeps checking people in while the server is down, then drains the queue when it returns', async () => {
    const page = staffPage;
    await page.waitForFunction(() => document.querySelector('[data-testid="pending-count"]')?.textContent === '0');
    await server.close();

    await wedgeScan(page, offlineGuests[0]!.token);
    await expectVerdict(page, 'admit', 3);
    await connection(page).filter({ hasText: 'Offline' }).waitFor();
    await pendingCount(page).filter({ hasText: /^1$/ }).waitFor();

    await wedgeScan(page, offlineGuests[1]!.token);
    await expectVerdict(page, 'admit', 4);
    await pendingCount(page).filter({ hasText: /^2$/ }).waitFor();

    await page.getByLabel('Find a guest by name, email or code').fill('Manuel');
    await page.getByRole('button', { name: 'Check in Manuel Manual-Search' }).click();
    await expectVerdict(page, 'admit', 5);
    await pendingCount(page).filter({ hasText: /^3$/ }).waitFor();
    expect(await connection(page).textContent()).toBe('Offline');
    await page.getByTestId('admitted-count').filter({ hasText: '4 / 4' }).waitFor();
    await screenshot(page, '10-checkin-offline');

    await goTo(page, 'Sync');
    await page.getByRole('heading', { name: 'Changes the server refused' }).waitFor();
    await screenshot(page, '11-sync-offline');
    await expectNoSeriousA11yViolations(page, 'sync (offline)');

    // The same server comes back on the same address and database.
    const restarted = await buildServer(server.config);
    await restarted.app.listen({ port, host: '127.0.0.1' });
    server = { ...server, ...restarted, close: () => restarted.app.close() };

    await pendingCount(page).filter({ hasText: /^0$/ }).waitFor({ timeout: 30_000 });
    await connection(page).filter({ hasText: 'Online' }).waitFor();
    await screenshot(page, '12-sync-drained');

    const stats = await organizer.api.get(`/events/${eventId}/stats`);
    expect(stats.body.checkedIn).toBe(4);
  });

  it("the organizer's screen shows the steward's check-ins", async () => {
    const page = organizerPage;
    const checkedIn = page.locator('[data-booking-id] .status-in');
    await expect.poll(() => checkedIn.count(), { timeout: 30_000, interval: 250 }).toBe(4);
    for (const name of [walkInName, ...offlineGuests.map((guest) => guest.name)]) {
      await page.getByRole('row').filter({ hasText: name }).getByText('checked in').waitFor();
    }
    await screenshot(page, '13-attendees-checked-in');

    await goTo(page, 'Check-in');
    await page.getByTestId('admitted-count').filter({ hasText: '4 / 4' }).waitFor();
    // The night's figures as the server counts them: per gate, per ticket type, per hour (a chart).
    await goTo(page, 'Stats');
    await page.getByTestId('stats-admitted').filter({ hasText: '4 / 4 expected' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'Main gate' }).filter({ hasText: '4' }).waitFor();
    await page
      .getByRole('img', { name: /^Entries per hour — \d{2}:\d{2}: 4$/ })
      .locator('canvas')
      .waitFor();
    await screenshot(page, '13b-stats');
    await expectNoSeriousA11yViolations(page, 'stats');
    await goTo(page, 'Sync');
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    await screenshot(page, '14-sync-organizer');
    await expectNoSeriousA11yViolations(page, 'sync (organizer)');
  });

  it('an admin manages users, devices and the email outbox', async () => {
    const admin = await signInAs(server, 'admin', 'Ada Admin');
    const page = organizerPage;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    // Offline unlock is offered for the organizer who signed in here before.
    await page.getByRole('button', { name: 'Offline unlock' }).waitFor();
    await page.getByRole('button', { name: 'Online' }).click();
    await signIn(page, { serverUrl: server.baseUrl, email: admin.user.email, password: admin.password });
    await goTo(page, 'Admin');
    await page.getByRole('cell', { name: staff.user.email }).waitFor();
    await screenshot(page, '15-admin-users');
    await expectNoSeriousA11yViolations(page, 'admin users');
    // A role change asks first: dismissed, nothing changes; confirmed, the notice names the person.
    const role = page.getByLabel(`Role of ${staff.user.name}`);
    page.once('dialog', (dialog) => void dialog.dismiss());
    await role.selectOption('organizer');
    expect(await role.inputValue()).toBe('staff');
    expect((await admin.api.get(`/users?q=${encodeURIComponent(staff.user.email)}`)).body.items[0].role).toBe('staff');
    page.once('dialog', (dialog) => void dialog.accept());
    await role.selectOption('organizer');
    await page
      .getByRole('status')
      .filter({ hasText: `${staff.user.name} is now organizer.` })
      .waitFor();
    expect(await role.inputValue()).toBe('organizer');

    await page.getByRole('tab', { name: 'Devices' }).click();
    // Devices are named by their user's name and email, and the one in use is marked.
    const devices = page.getByRole('tabpanel').getByRole('table');
    await devices.getByRole('row').filter({ hasText: 'This device' }).waitFor();
    await devices.getByRole('row').filter({ hasText: staff.user.name }).filter({ hasText: staff.user.email }).waitFor();
    await screenshot(page, '16-admin-devices');
    await expectNoSeriousA11yViolations(page, 'admin devices');

    // Two dead letters made on purpose: walk-ins whose addresses the SMTP server refuses for good.
    const bounced = ['bounce.one@example.test', 'bounce.two@example.test'];
    for (const address of bounced) refused.add(address);
    const event = (await organizer.api.get<{ ticketTypes: { id: string }[] }>(`/events/${eventId}`)).body;
    for (const [index, email] of bounced.entries()) {
      const walkIn = await organizer.api.post(`/events/${eventId}/bookings`, {
        ticketTypeId: event.ticketTypes[0]!.id,
        attendee: { name: `Bounce ${index + 1}`, email },
      });
      expect(walkIn.status).toBe(201);
    }
    const deadLetters = async () =>
      (await admin.api.get<{ items: { to: string }[] }>('/admin/mail?status=dead')).body.items.filter((message) =>
        bounced.includes(message.to),
      ).length;
    await expect.poll(deadLetters, { timeout: 20_000 }).toBe(2);

    await page.getByRole('tab', { name: 'Email outbox' }).click();
    const outbox = page.getByRole('tabpanel');
    const show = outbox.getByLabel('Show');
    await show.selectOption('dead');
    const row = (address: string) => outbox.getByRole('row').filter({ hasText: address });
    for (const address of bounced) await row(address).waitFor();
    await screenshot(page, '17-admin-mail');
    await expectNoSeriousA11yViolations(page, 'admin email outbox');

    // Retry: the address accepts mail now, so the message goes out once and is listed as sent.
    refused.delete(bounced[0]!);
    await row(bounced[0]!).getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('status').filter({ hasText: 'Message queued to send again.' }).waitFor();
    await expect.poll(() => smtp.acceptedFor(bounced[0]!).length, { timeout: 20_000 }).toBe(1);
    await show.selectOption('sent');
    await row(bounced[0]!).getByText('sent', { exact: true }).waitFor();

    // Discard: the other dead letter is given up and listed as discarded, never sent.
    await show.selectOption('dead');
    await row(bounced[1]!).getByRole('button', { name: 'Discard' }).click();
    await page.getByRole('status').filter({ hasText: 'Message discarded.' }).waitFor();
    await row(bounced[1]!).waitFor({ state: 'detached' });
    await show.selectOption('discarded');
    await row(bounced[1]!).getByText('discarded', { exact: true }).waitFor();
    expect(smtp.acceptedFor(bounced[1]!)).toHaveLength(0);
    await screenshot(page, '18-admin-mail-handled');
  });
});
