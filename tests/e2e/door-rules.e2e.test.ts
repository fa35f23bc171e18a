import type { Event } from '@gatehouse/protocol';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { addBookings, createEvent, ticketToken } from '../sync/support';
import { pendingCount, signIn, verdictPanel, wedgeScan } from './support/app';
import { type AppInChromium, openAppInChromium } from './support/appInChromium';
import { expectNoSeriousA11yViolations, screenshot } from './support/browser';
import { PullGate } from './support/pull-gate';

/**
 * The door rules as a steward meets them in Chromium, on a device whose first download is held
 * half-way by a proxy: a signed ticket admitted before its booking arrived, then an exit and a
 * re-entry at another gate with the gate's Entry/Exit switch, at both laptop sizes.
 */
describe('the door: a new device mid-download, exits and re-entries, an undo', () => {
  const BOOKINGS = 600;
  let server: TestServer;
  let gate: PullGate;
  let organizer: SignedIn;
  let staff: SignedIn;
  let app: AppInChromium;
  let page: Page;
  let event: Event;
  let bookingIds: string[];

  /** The search's hint that Enter will check a guest in (ManualSearch). */
  const ENTER_HINT = /^Enter checks (this guest|Quay Guest \d+) in\.$/;
  const expectVerdict = (verdict: string, serial: number) =>
    page.locator(`[data-verdict="${verdict}"][data-serial="${serial}"]`).waitFor();

  beforeAll(async () => {
    server = await startTestServer();
    [organizer, staff] = await Promise.all([
      signInAs(server, 'organizer', 'Ola Organizer'),
      signInAs(server, 'staff', 'Sid Steward'),
    ]);
    event = await createEvent(organizer.api, [staff.user.id], { title: 'Quayside Nights' });
    bookingIds = await addBookings(server, event, BOOKINGS, 'Quay Guest');
    gate = await PullGate.start(server.baseUrl);
    app = await openAppInChromium({
      name: 'door',
      serverUrl: gate.url,
      deviceName: 'new-tablet',
      // A first page of 200: the event, its key and the first bookings; the rest waits at the gate.
      core: { pollMs: 1000, verifierCost: 2 ** 10, initialPullLimit: 200 },
    });
    page = app.page;
  });

  afterEach((test) => app?.screenshotIfFailed(test));

  afterAll(async () => {
    await app?.close();
    await gate?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
  });

  it('during the first download, a signed ticket whose booking has not arrived is admitted on its signature', async () => {
    await signIn(page, { serverUrl: gate.url, email: staff.user.email, password: staff.password });
    await page.getByRole('heading', { name: 'Check-in', level: 1 }).waitFor();
    const phase = page.getByTestId('sync-phase');
    await phase.filter({ hasText: 'signed tickets are admitted on their signature' }).waitFor();
    await page.getByRole('combobox', { name: /event/i }).filter({ hasText: 'Quayside Nights' }).waitFor();

    const late = await ticketToken(organizer.api, bookingIds[BOOKINGS - 1]!);
    await wedgeScan(page, late);
    await expectVerdict('admit', 1);
    expect(await verdictPanel(page).textContent()).toContain('not yet on this device');
    await screenshot(page, 'door-01-admit-before-download-1366');
    await expectNoSeriousA11yViolations(page, 'check-in (admitted on signature, downloading)');

    gate.release();
    await phase.waitFor({ state: 'detached', timeout: 60_000 });
    await page
      .getByTestId('admitted-count')
      .filter({ hasText: `1 / ${BOOKINGS}` })
      .waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="pending-count"]')?.textContent === '0');
    expect(await server.ctx.store.checkins.countForEvent(event.id)).toBe(1);
  });

  it('an exit, then a re-entry at another gate, with the gate switched between Entry and Exit', async () => {
    const token = await ticketToken(organizer.api, bookingIds[0]!);
    const gateField = page.getByLabel('Gate', { exact: true });
    const modes = page.getByRole('group', { name: 'Gate mode' });
    await gateField.fill('North');
    await wedgeScan(page, token);
    await expectVerdict('admit', 2);

    await modes.getByRole('button', { name: 'Exit' }).click();
    expect(await modes.getByRole('button', { name: 'Exit' }).getAttribute('aria-pressed')).toBe('true');
    // Focus is on the switch the steward just pressed: the wedge's Enter must not press it again.
    await wedgeScan(page, token);
    await expectVerdict('exit', 3);
    expect(await verdictPanel(page).textContent()).toContain('exit recorded');
    expect(await modes.getByRole('button', { name: 'Exit' }).getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'door-02-exit-1366');

    await page.setViewportSize({ width: 1024, height: 700 });
    await gateField.fill('South');
    await modes.getByRole('button', { name: 'Entry' }).click();
    await wedgeScan(page, token);
    await expectVerdict('admit', 4);
    // A re-entry says so, with when and where the guest left (on the event's clock).
    expect(await verdictPanel(page).textContent()).toMatch(
      /re-entry.*Welcome back, Quay Guest 0 — re-entry \(left \d{2}:\d{2}, North\)/,
    );
    await page.getByRole('region', { name: 'Last scans' }).getByText('Left').first().waitFor();
    await screenshot(page, 'door-03-reentry-1024');
    await expectNoSeriousA11yViolations(page, 'check-in (re-entry, 1024×700)');

    await page.waitForFunction(() => document.querySelector('[data-testid="pending-count"]')?.textContent === '0');
    const stats = await organizer.api.get(`/events/${event.id}/stats`);
    expect(stats.body).toMatchObject({ checkedIn: 2, inside: 2 });
    expect((await organizer.api.get(`/events/${event.id}/stats`)).body.byGate).toEqual([
      { gate: 'Main gate', entries: 1, exits: 0 },
      { gate: 'North', entries: 1, exits: 1 },
      { gate: 'South', entries: 1, exits: 0 },
    ]);
  });

  it('a wrong admission is undone from the verdict panel, and the ticket admits again', async () => {
    const token = await ticketToken(organizer.api, bookingIds[1]!);
    const admitted = page.getByTestId('admitted-count');
    await wedgeScan(page, token);
    await expectVerdict('admit', 5);
    await admitted.filter({ hasText: `3 / ${BOOKINGS}` }).waitFor();
    await page.getByRole('button', { name: 'Undo admission', exact: true }).click();
    await page.locator('[data-verdict="undone"][data-serial="5"]').getByText('Admission undone').waitFor();
    await admitted.filter({ hasText: `2 / ${BOOKINGS}` }).waitFor();
    await page.getByRole('region', { name: 'Last scans' }).getByText('Undone').first().waitFor();
    await screenshot(page, 'door-04-undone-1024');
    await expectNoSeriousA11yViolations(page, 'check-in (admission undone)');

    // Focus is on the Undo button now: a scan must not press it.
    await wedgeScan(page, token);
    await expectVerdict('admit', 6);
    await admitted.filter({ hasText: `3 / ${BOOKINGS}` }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="pending-count"]')?.textContent === '0');
    expect((await organizer.api.get(`/events/${event.id}/stats`)).body).toMatchObject({ checkedIn: 3 });
  });

  it('a scan reaches the door with focus in the gate name, the guest search or the event picker, and leaves them as they were', async () => {
    const gateField = page.getByLabel('Gate', { exact: true });
    const search = page.getByLabel('Find a guest by name, email or code');
    const picker = page.getByRole('combobox', { name: /event/i });
    const chosenEvent = await picker.inputValue();
    let serial = 7;
    for (const [name, control, id] of [
      ['gate', gateField, bookingIds[2]!],
      ['search', search, bookingIds[3]!],
      ['picker', picker, bookingIds[4]!],
    ] as const) {
      const token = await ticketToken(organizer.api, id);
      if (name === 'search') await search.fill('Quay');
      await control.focus();
      await wedgeScan(page, token, { keepFocus: true });
      await expectVerdict('admit', serial++);
      expect(await gateField.inputValue(), `after a scan in the ${name}`).toBe('South');
      expect(await picker.inputValue()).toBe(chosenEvent);
    }
    expect(await search.inputValue()).toBe('Quay');
    await screenshot(page, 'door-05-scan-with-focus-in-fields-1024');
  });

  it('Last scans lists every verdict with its reason, on the verdict’s clock, and undoes an admission', async () => {
    const lastScans = page.getByRole('region', { name: 'Last scans' });
    const admitted = page.getByTestId('admitted-count');
    const token = await ticketToken(organizer.api, bookingIds[5]!);
    await wedgeScan(page, token);
    await expectVerdict('admit', 10);
    await admitted.filter({ hasText: `7 / ${BOOKINGS}` }).waitFor();
    await wedgeScan(page, token);
    await expectVerdict('duplicate', 11);
    // The machine runs in another zone than the event's (Europe/Berlin): both read the event's clock.
    const since = /since (\d{2}:\d{2}) \(South\)/.exec((await verdictPanel(page).textContent()) ?? '')?.[1];
    expect(since).toBeDefined();
    const duplicateRow = lastScans.locator('li[data-verdict="duplicate"]').first();
    await duplicateRow.filter({ hasText: 'Already inside' }).waitFor();
    const admissionRow = lastScans.locator('li[data-verdict="admit"]').filter({ hasText: 'Quay Guest 5' }).first();
    expect(await admissionRow.textContent()).toContain(`${since} · South`);

    await wedgeScan(page, 'GH1.this-is-no-ticket.at-all');
    await expectVerdict('invalid', 12);
    await lastScans.locator('li[data-verdict="invalid"]').first().waitFor();
    await page.getByTestId('refused-scans').getByText('Already inside').first().waitFor();
    await screenshot(page, 'door-06-last-scans-every-verdict-1024');
    await page.setViewportSize({ width: 1366, height: 800 });
    await screenshot(page, 'door-06-last-scans-every-verdict-1366');

    await admissionRow.getByRole('button', { name: `Undo admission of Quay Guest 5 at ${since}` }).click();
    await lastScans.locator('li[data-verdict="undone"]').filter({ hasText: 'Quay Guest 5' }).waitFor();
    await admitted.filter({ hasText: `6 / ${BOOKINGS}` }).waitFor();
    await expectNoSeriousA11yViolations(page, 'check-in (last scans with refusals, undone from the list)');
  });

  it('Enter in the guest search checks in its single match and gives focus back to scanning', async () => {
    const search = page.getByLabel('Find a guest by name, email or code');
    await search.fill('Quay Guest 598');
    // "this guest", or the name when another guest's code starts with 598 too (1 in ~55 seeds).
    await page.getByText(ENTER_HINT).waitFor();
    await search.press('Enter');
    await expectVerdict('admit', 13);
    expect(await verdictPanel(page).textContent()).toContain('Quay Guest 598');
    expect(await search.inputValue()).toBe('');
    expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true);
  });

  it('each refusal has its own colour, and a verdict steps back to "ready for the next guest"', async () => {
    const colours = await page.evaluate(() =>
      ['noReentry', 'invalid', 'wrongEvent', 'duplicate', 'admit'].map((verdict) => {
        const probe = document.createElement('section');
        probe.className = `verdict verdict-${verdict}`;
        document.body.append(probe);
        const colour = getComputedStyle(probe).backgroundColor;
        probe.remove();
        return colour;
      }),
    );
    expect(new Set(colours).size).toBe(colours.length);

    // The page's clock is taken over only now, so the earlier steps ran on real time; the guest is
    // checked in from the search (a wedge burst is judged by key timestamps, which a faked clock skews).
    await page.clock.install();
    const search = page.getByLabel('Find a guest by name, email or code');
    await search.fill('Quay Guest 597');
    await page.getByText(ENTER_HINT).waitFor();
    await search.press('Enter');
    await page.locator('[data-verdict="admit"][data-serial="14"][data-state="shown"]').waitFor();
    await page.clock.runFor(10_000);
    await page
      .locator('[data-verdict="admit"][data-serial="14"][data-state="ready"]')
      .getByText('Ready for the next guest')
      .waitFor();
    await screenshot(page, 'door-07-ready-for-next-guest-1366');
    await expectNoSeriousA11yViolations(page, 'check-in (ready for the next guest)');
  });

  it('a check-in the server refuses (the steward was taken off the door team meanwhile) is named in a banner', async () => {
    await page.clock.resume();
    // Held at the proxy: the scan is queued here while the organizer takes the steward off the event.
    gate.hold();
    await wedgeScan(page, await ticketToken(organizer.api, bookingIds[8]!));
    await expectVerdict('admit', 15);
    await pendingCount(page).filter({ hasText: /^1$/ }).waitFor();
    expect((await organizer.api.put(`/events/${event.id}/staff`, { staffIds: [] })).status).toBe(200);

    gate.releasePushes();
    const banner = page.getByRole('alert', { name: 'Refused by the server' });
    await banner.getByText('The server refused the check-in of Quay Guest 8 at Quayside Nights.').waitFor();
    await banner.getByText(/ask its organizer to add you back/).waitFor();
    // The next pull takes the event off this device; the banner still says whose check-in, where.
    gate.release();
    await page.getByText('No event chosen.').waitFor();
    expect(await banner.textContent()).toContain('Quay Guest 8 at Quayside Nights');
    await screenshot(page, 'door-08-refused-by-server-1366');
    await expectNoSeriousA11yViolations(page, 'check-in (a check-in refused by the server)');
    await banner.getByRole('button', { name: 'Dismiss' }).click();
    await banner.waitFor({ state: 'detached' });
  });
});
