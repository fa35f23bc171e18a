import type { Event } from '@gatehouse/protocol';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { createEvent, pushDuplicateEntry } from '../sync/support';
import { goTo, signIn } from './support/app';
import { type AppInChromium, openAppInChromium } from './support/appInChromium';
import { expectNoSeriousA11yViolations, screenshot } from './support/browser';

type Box = { x: number; y: number; width: number; height: number };
const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5;
const inside = (inner: Box, outer: Box) =>
  inner.x >= outer.x - 0.5 &&
  inner.y >= outer.y - 0.5 &&
  inner.x + inner.width <= outer.x + outer.width + 0.5 &&
  inner.y + inner.height <= outer.y + outer.height + 0.5;

/**
 * The organizer's screens as an organizer meets them in Chromium, on a machine whose zone is not
 * the events': the events table at both laptop sizes, an event entered in New York time, the field
 * at fault, walk-ins across an event switch and the Staff panel's buttons.
 */
describe("the organizer's screens", () => {
  let server: TestServer;
  let organizer: SignedIn;
  let app: AppInChromium;
  let page: Page;
  let events: Event[];

  beforeAll(async () => {
    server = await startTestServer();
    organizer = await signInAs(server, 'organizer', 'Orla Organizer');
    await signInAs(server, 'staff', 'Stan Steward');
    events = [
      await createEvent(organizer.api, [], {
        title: 'Lantern Market with a title long enough to be cut short in the table',
        venue: 'The old tram depot, hall B, entrance by the canal',
        ticketTypes: [{ name: 'Market pass', price: 500, quota: 100 }],
      }),
      await createEvent(organizer.api, [], {
        title: 'Tidewater Talks',
        timezone: 'Asia/Kolkata',
        ticketTypes: [{ name: 'Talk seat', price: 0, quota: 100 }],
      }),
    ];
    app = await openAppInChromium({
      name: 'organizer',
      serverUrl: server.baseUrl,
      deviceName: 'organizer-laptop',
      core: { pollMs: 1000, verifierCost: 2 ** 10 },
      // The machine's zone is not any event's, so times shown in the computer's zone would be caught.
      context: { timezoneId: 'America/Los_Angeles' },
    });
    page = app.page;
    await signIn(page, { serverUrl: server.baseUrl, email: organizer.user.email, password: organizer.password });
    await page.getByRole('cell', { name: 'Tidewater Talks', exact: true }).waitFor();
  });

  afterEach((test) => app?.screenshotIfFailed(test));

  afterAll(async () => {
    await app?.close();
    await server?.close().catch(() => undefined);
  });

  it('the events table keeps every cell in its own box at 1366 and 1024 wide, times in each event’s zone', async () => {
    for (const [width, height] of [
      [1366, 800],
      [1024, 700],
    ] as const) {
      await page.setViewportSize({ width, height });
      for (const row of await page.locator('.events-table tbody tr').all()) {
        // A column that gives way at this width (the venue at 1024) has no box.
        const boxes = await Promise.all((await row.locator('td').all()).map((cell) => cell.boundingBox()));
        const cells = boxes.filter((box): box is Box => box !== null);
        for (const [i, a] of cells.entries())
          for (const b of cells.slice(i + 1)) expect(overlap(a!, b!), `cells overlap at ${width}`).toBe(false);
        const actions = cells.at(-1)!;
        for (const button of await row.locator('td').last().getByRole('button').all()) {
          expect(inside((await button.boundingBox())!, actions), `a row button leaves its cell at ${width}`).toBe(true);
        }
      }
      await screenshot(page, `organizer-01-events-${width}`);
      await expectNoSeriousA11yViolations(page, `events list at ${width}`);
    }
    // Tidewater Talks is listed on Kolkata's clock, and says so.
    const talks = page.getByRole('row').filter({ hasText: 'Tidewater Talks' });
    const kolkata = new Intl.DateTimeFormat('en-GB', {
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone: 'Asia/Kolkata',
    }).format(new Date(events[1]!.startsAt));
    expect(await talks.textContent()).toContain(kolkata);
    expect(await talks.textContent()).toContain('Asia/Kolkata time');
  });

  it('an event entered at 19:00 New York time is that instant, listed as 19:00; the field at fault is outlined', async () => {
    await page.setViewportSize({ width: 1366, height: 800 });
    await page.getByRole('button', { name: 'New event' }).click();
    await page.getByLabel('Venue').fill('Pier 17');
    await page.getByLabel('Time zone').fill('America/New_York');
    await page.getByLabel(/^Starts/).fill('2030-03-12T19:00');
    await page.getByLabel(/^Ends/).fill('2030-03-12T23:00');
    await page.getByLabel('Price').fill('12.50');
    await page.getByRole('button', { name: 'Create event' }).click();
    // No title: the Title field is marked and says why, beside it.
    const title = page.getByLabel('Title');
    expect(await title.getAttribute('aria-invalid')).toBe('true');
    await page.getByText('Give the event a title.').waitFor();
    await screenshot(page, 'organizer-02-editor-field-at-fault-1366');
    await expectNoSeriousA11yViolations(page, 'event editor with a field at fault');

    await title.fill('Harbor Jazz');
    expect(await title.getAttribute('aria-invalid')).toBeNull();
    await page.getByRole('button', { name: 'Create event' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Harbor Jazz' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/19:00.*America\/New York time/);
    const listed = await organizer.api.get<{ items: Event[] }>('/events?q=Harbor');
    // 12 March 2030 is after the US spring change: EDT, UTC−4.
    expect(listed.body.items[0]).toMatchObject({
      startsAt: expect.stringMatching(/^2030-03-12T23:00:00(\.000)?Z$/),
      timezone: 'America/New_York',
      ticketTypes: [expect.objectContaining({ price: 1250 })],
    });
  });

  it('a walk-in is added after switching events, with the new event’s ticket type; a bad email is marked', async () => {
    await goTo(page, 'Attendees');
    const picker = page.getByRole('combobox', { name: 'Event' });
    await picker.selectOption({ label: events[0]!.title });
    await page.getByLabel('Ticket type').filter({ hasText: 'Market pass' }).waitFor();
    await picker.selectOption({ label: 'Tidewater Talks' });
    await page.getByLabel('Ticket type').filter({ hasText: 'Talk seat' }).waitFor();
    await page.getByLabel('Walk-in name').fill('Wren Walk-in');
    // An email the core's schema refuses: that field is outlined and says why beside it, the name is not.
    const email = page.getByLabel('Email (optional)');
    await email.fill('wren at example');
    await page.getByRole('button', { name: 'Add walk-in' }).click();
    await page.getByText('Enter an email like name@example.com, or leave it empty.').waitFor();
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Walk-in name').getAttribute('aria-invalid')).toBeNull();
    expect(await page.locator('.walkin .notice').count()).toBe(0);
    await screenshot(page, 'organizer-03a-walk-in-bad-email-1366');
    await email.fill('');
    expect(await email.getAttribute('aria-invalid')).toBeNull();
    await page.getByRole('button', { name: 'Add walk-in' }).click();
    await page.getByRole('status').filter({ hasText: 'Added Wren Walk-in' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'Wren Walk-in' }).waitFor();
    await screenshot(page, 'organizer-03-walk-in-after-switch-1366');
  });

  it('the Staff panel’s Add buttons can be read', async () => {
    await goTo(page, 'Events');
    await page.getByRole('button', { name: 'Staff of Tidewater Talks' }).click();
    const add = page.getByRole('button', { name: 'Add Stan Steward' });
    const [ink, paper] = await add.evaluate((button) => {
      const style = getComputedStyle(button);
      return [style.color, style.backgroundColor];
    });
    expect(ink).not.toBe(paper);
    await screenshot(page, 'organizer-04-staff-1366');
    await expectNoSeriousA11yViolations(page, 'event staff');
  });

  it('an alert is acknowledged by keyboard: it leaves "Unacknowledged only" and shows who and when, dimmed', async () => {
    const event = events[1]!;
    await pushDuplicateEntry(organizer.api, event, 'Dana Twice');
    // The Sync screen lists the alerts of the event chosen on the event screens.
    await goTo(page, 'Attendees');
    await page.getByRole('combobox', { name: 'Event' }).selectOption({ label: event.title });
    await goTo(page, 'Sync');
    const alerts = page.getByRole('region', { name: `Alerts at ${event.title}` });
    const onlyOpen = alerts.getByRole('checkbox', { name: 'Unacknowledged only' });
    expect(await onlyOpen.isChecked()).toBe(true);
    const item = alerts.getByRole('listitem').filter({ hasText: 'Dana Twice' });
    await item.filter({ hasText: 'Duplicate entry' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'organizer-05-alert-open-1366');
    await expectNoSeriousA11yViolations(page, 'alerts');
    // By keyboard: focus the button, then Enter.
    const acknowledge = item.getByRole('button', { name: /^Acknowledge/ });
    await acknowledge.focus();
    await page.keyboard.press('Enter');
    await alerts.getByText('No alerts waiting for someone.').waitFor();
    await onlyOpen.press('Space');
    const done = alerts.getByRole('listitem').filter({ hasText: 'Dana Twice' });
    await done.getByText(/^Acknowledged by Orla Organizer · .*\d{2}:\d{2}/).waitFor();
    expect(await done.getByRole('button', { name: /^Acknowledge/ }).count()).toBe(0);
    expect(await done.getAttribute('class')).toContain('alert-acknowledged');
    await screenshot(page, 'organizer-06-alert-acknowledged-1366');
    await expectNoSeriousA11yViolations(page, 'alerts acknowledged');
    // The acknowledgement reaches the server (queued, then pushed), by the organizer.
    await expect
      .poll(
        async () => {
          const listed = await organizer.api.get<{ items: Array<{ acknowledgement?: { userName: string } }> }>(
            `/events/${event.id}/alerts`,
          );
          return listed.body.items[0]?.acknowledgement?.userName ?? null;
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBe('Orla Organizer');
  });

  it('the chosen event is remembered across a reload, and sign-out leaves nothing for the next person', async () => {
    await goTo(page, 'Attendees');
    const picker = page.getByRole('combobox', { name: 'Event' });
    await picker.selectOption({ label: 'Tidewater Talks' });
    await page.reload();
    await goTo(page, 'Attendees');
    await page.getByRole('row').filter({ hasText: 'Wren Walk-in' }).waitFor();
    expect(await picker.locator('option:checked').textContent()).toBe('Tidewater Talks');

    const next = await signInAs(server, 'organizer', 'Nell Next');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Online' }).click();
    await signIn(page, { serverUrl: server.baseUrl, email: next.user.email, password: next.password });
    // Her own first screen, with none of the last organizer's events, attendees or choices.
    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
    await page.getByText('No events yet.').waitFor();
    await goTo(page, 'Attendees');
    await page.getByText('Choose an event to see its attendees.').waitFor();
    expect(await page.getByText('Wren Walk-in').count()).toBe(0);
  });
});
