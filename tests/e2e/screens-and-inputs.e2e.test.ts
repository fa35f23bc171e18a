import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { addBookings, createEvent, ticketToken } from '../sync/support';
import { goTo, verdictPanel, wedgeScan } from './support/app';
import { type AppInChromium, openAppInChromium } from './support/appInChromium';
import { expectNoSeriousA11yViolations, screenshot } from './support/browser';

const SIZES = [
  [1366, 800],
  [1024, 700],
] as const;

/**
 * How long the guest search's answers are held on their way to the page: longer than a person takes
 * between the last key and Enter, so Enter always comes before the answer, as on a busy laptop.
 */
const SEARCH_ANSWER_DELAY_MS = 400;
/** Slower per key than a wedge in a field (useKeyboardWedge's 30 ms), so the typing is a person's. */
const PERSON_KEY_DELAY_MS = 50;
/**
 * A scanner slower than the field's 30 ms bar: Bluetooth scanners deliver keys in groups, some are
 * set to pause between characters. Its ticket is still a scan there, by its shape.
 */
const PAUSING_SCANNER_KEY_GAP_MS = 45;

/**
 * The answers to `checkin.search` on the page's RPC socket (renderer/src/rpc/webSocketBridge.ts
 * frames: requests `{ type, id, method }`, answers `{ id }`): each is held SEARCH_ANSWER_DELAY_MS,
 * or, between `hold()` and `release()`, until `release()`.
 */
const searchAnswers = {
  held: null as Array<() => void> | null,
  hold(): void {
    this.held = [];
  },
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const send of held) send();
  },
};

async function delaySearchAnswers(page: Page): Promise<void> {
  await page.routeWebSocket(/./, (socket) => {
    const host = socket.connectToServer();
    const searches = new Set<unknown>();
    const frameOf = (message: string | Buffer) => JSON.parse(String(message)) as { id?: unknown; method?: unknown };
    socket.onMessage((message) => {
      const frame = frameOf(message);
      if (frame.method === 'checkin.search') searches.add(frame.id);
      host.send(message);
    });
    host.onMessage((message) => {
      const frame = frameOf(message);
      if (!searches.delete(frame.id)) return socket.send(message);
      const send = () => socket.send(message);
      if (searchAnswers.held) searchAnswers.held.push(send);
      else setTimeout(send, SEARCH_ANSWER_DELAY_MS);
    });
  });
}

/** Tab stops a screen may have before the one wanted; more means it is not reachable in practice. */
const MAX_TAB_STOPS = 40;

/** Presses Tab until `target` has the focus, as a keyboard user would; fails if it never does. */
async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let stops = 0; stops < MAX_TAB_STOPS; stops++) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

/**
 * Every screen an admin has and every way a guest gets in, on one device: the door round by keyboard
 * alone (sign in, move between screens, pick the event, check a guest in by search and Enter, scan
 * another, read the admin tabs), every screen at both laptop sizes through axe (no serious or critical
 * violation) and into a screenshot. One browser and server for all keeps the e2e step short.
 */
describe('every screen at both sizes, and by keyboard alone', () => {
  let server: TestServer;
  let admin: SignedIn;
  let app: AppInChromium;
  let page: Page;
  let scannedToken: string;
  /** The door code of the guest checked in by search: unique, where "Kit Guest 1" also finds a code starting with 1. */
  let searchedCode: string;
  /** The door code of the guest nobody checks in before the event-switch test. */
  let waitingCode: string;

  beforeAll(async () => {
    server = await startTestServer();
    admin = await signInAs(server, 'admin', 'Ada Admin');
    const organizer = await signInAs(server, 'organizer', 'Kai Organizer');
    const quietHall = await createEvent(organizer.api, [], { title: 'Quiet Hall' });
    // Lee Guest 0…11: "Lee Guest 1" also finds 10 and 11, where only one is exactly what was typed.
    await addBookings(server, quietHall, 12, 'Lee Guest');
    const event = await createEvent(organizer.api, [], { title: 'Keyboard Gala' });
    const bookingIds = await addBookings(server, event, 3, 'Kit Guest');
    scannedToken = await ticketToken(organizer.api, bookingIds[2]!);
    searchedCode = (await server.ctx.store.bookings.findById(bookingIds[1]!))!.code;
    waitingCode = (await server.ctx.store.bookings.findById(bookingIds[0]!))!.code;
    app = await openAppInChromium({
      name: 'screens',
      serverUrl: server.baseUrl,
      deviceName: 'admin-laptop',
      core: { pollMs: 1000, verifierCost: 2 ** 10 },
      beforeLoad: delaySearchAnswers,
    });
    page = app.page;
  });

  afterEach((test) => app?.screenshotIfFailed(test));

  afterAll(async () => {
    await app?.close();
    await server?.close().catch(() => undefined);
  });

  it('the sign-in screen passes axe at both sizes', async () => {
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await screenshot(page, `screens-sign-in-${width}`);
      await expectNoSeriousA11yViolations(page, `sign in at ${width}×${height}`);
    }
  });

  it('by keyboard alone: sign in, go to Check-in, pick the event, check in by search and Enter, scan, read the admin tabs', async () => {
    await page.setViewportSize({ width: 1366, height: 800 });
    const keyboard = page.keyboard;
    await tabTo(page, page.getByLabel('Server address'));
    await keyboard.press('ControlOrMeta+A');
    await keyboard.type(server.baseUrl);
    await tabTo(page, page.getByLabel('Email'));
    await keyboard.type(admin.user.email);
    await tabTo(page, page.getByLabel('Password'));
    await keyboard.type(admin.password);
    await keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();

    const navigation = page.getByRole('navigation', { name: 'Main' });
    await tabTo(page, navigation.getByRole('button', { name: 'Check-in', exact: true }));
    await keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Check-in', level: 1 }).waitFor();
    const picker = page.getByRole('combobox', { name: 'Event' });
    await picker.filter({ hasText: 'Keyboard Gala' }).waitFor();
    await tabTo(page, picker);
    for (
      let stops = 0;
      stops < 3 && (await picker.locator('option:checked').textContent()) !== 'Keyboard Gala';
      stops++
    )
      await keyboard.press('ArrowDown');
    expect(await picker.locator('option:checked').textContent()).toBe('Keyboard Gala');

    // Enter at once after the last key, before the search has answered: it checks the guest in when it does.
    await tabTo(page, page.getByLabel('Find a guest by name, email or code'));
    await keyboard.type(searchedCode, { delay: PERSON_KEY_DELAY_MS });
    await keyboard.press('Enter');
    await page.locator('[data-verdict="admit"][data-serial="1"]').waitFor();
    expect(await verdictPanel(page).textContent()).toContain('Kit Guest 1');
    // After the check-in the focus is back where a scan lands, so the next guest's QR needs no click.
    await wedgeScan(page, scannedToken, { keepFocus: true });
    await page.locator('[data-verdict="admit"][data-serial="2"]').waitFor();
    expect(await verdictPanel(page).textContent()).toContain('Kit Guest 2');
    await screenshot(page, 'screens-keyboard-checkin-1366');

    await tabTo(page, navigation.getByRole('button', { name: 'Admin', exact: true }));
    await keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Admin', level: 1 }).waitFor();
    await tabTo(page, page.getByRole('tab', { name: 'Users and roles' }));
    await keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Devices' }).evaluate((tab) => tab === document.activeElement)).toBe(
      true,
    );
    await page.getByRole('tabpanel', { name: 'Devices' }).waitFor();
    await keyboard.press('ArrowRight');
    await page.getByRole('tabpanel', { name: 'Email outbox' }).waitFor();
    await keyboard.press('ArrowRight');
    await page.getByRole('tabpanel', { name: 'Users and roles' }).waitFor();
  });

  it('an Enter still waiting for its search is dropped when another event is chosen, and not done on coming back', async () => {
    await goTo(page, 'Check-in');
    const picker = page.getByRole('combobox', { name: 'Event' });
    const search = page.getByLabel('Find a guest by name, email or code');
    const admitted = page.getByTestId('admitted-count');
    await admitted.filter({ hasText: '2 / 3' }).waitFor();
    searchAnswers.hold();
    await search.fill(waitingCode);
    await search.press('Enter'); // its search's answer is held
    await picker.selectOption({ label: 'Quiet Hall' });
    await picker.selectOption({ label: 'Keyboard Gala' });
    searchAnswers.release();
    // The search for the text at this event has answered: an Enter kept for it would have acted by now.
    await page.getByText('Enter checks this guest in.').waitFor();
    await page.waitForTimeout(SEARCH_ANSWER_DELAY_MS);
    expect(await page.locator('[data-verdict][data-serial="3"]').count()).toBe(0);
    expect(await admitted.textContent()).toContain('2 / 3');
    await search.press('Enter');
    await page.locator('[data-verdict="admit"][data-serial="3"]').waitFor();
    expect(await verdictPanel(page).textContent()).toContain('Kit Guest 0');
  });

  it('a scanner that pauses between keys still scans from the gate name and the guest search; a person typing there is left alone', async () => {
    await goTo(page, 'Check-in');
    const gateField = page.getByLabel('Gate', { exact: true });
    const search = page.getByLabel('Find a guest by name, email or code');
    await search.fill('Kit');
    let serial = 4;
    for (const [name, control] of [
      ['gate', gateField],
      ['search', search],
    ] as const) {
      await control.focus();
      await wedgeScan(page, scannedToken, { keepFocus: true, keyGapMs: PAUSING_SCANNER_KEY_GAP_MS });
      // Kit Guest 2 is inside since the keyboard round: the ticket was read whole, not refused as no ticket.
      await page.locator(`[data-verdict="duplicate"][data-serial="${serial++}"]`).waitFor();
      expect(await verdictPanel(page).textContent(), `scanned in the ${name}`).toContain('Kit Guest 2');
      expect(await gateField.inputValue(), `after a scan in the ${name}`).toBe('Main gate');
    }
    expect(await search.inputValue()).toBe('Kit');

    // The same pace by a person, something that is no ticket: typed into the field, and no scan.
    await search.fill('');
    await search.focus();
    await wedgeScan(page, 'ZZZZZZZZ9', { keepFocus: true, keyGapMs: PAUSING_SCANNER_KEY_GAP_MS });
    await page.getByText('Nobody found.').waitFor();
    expect(await search.inputValue()).toBe('ZZZZZZZZ9');
    expect(await page.locator('[data-verdict][data-serial="6"]').count()).toBe(0);
    await search.fill('');

    // The longest gate name the field takes, without a space: cut in Counts, its count still in the card.
    await page.setViewportSize({ width: 1024, height: 700 });
    await gateField.fill('G'.repeat(64));
    const counts = page.getByRole('region', { name: 'Counts' });
    const atGate = counts.locator('dl > div').nth(2);
    await atGate.filter({ hasText: 'At GGGG' }).waitFor();
    const card = (await counts.boundingBox())!;
    const count = (await atGate.locator('dd').boundingBox())!;
    expect(count.width).toBeGreaterThan(0);
    expect(count.x + count.width).toBeLessThanOrEqual(card.x + card.width);
    await screenshot(page, 'screens-long-gate-name-1024');
    await gateField.fill('Main gate');
    await page.setViewportSize({ width: 1366, height: 800 });
  });

  it('Enter checks in the one guest whose name is exactly what was typed, among a few that start with it', async () => {
    await goTo(page, 'Check-in');
    const picker = page.getByRole('combobox', { name: 'Event' });
    const search = page.getByLabel('Find a guest by name, email or code');
    await picker.selectOption({ label: 'Quiet Hall' });
    await search.fill('lee guest');
    await page.getByRole('button', { name: 'Check in Lee Guest 11' }).waitFor();
    expect(await page.locator('#manual-hint').textContent()).toBe('');
    await search.fill('lee guest 1');
    await page.getByText('Enter checks Lee Guest 1 in.').waitFor();
    expect(await page.getByRole('button', { name: /^Check in Lee Guest 1/ }).count()).toBeGreaterThan(1);
    await search.press('Enter');
    await page.locator('[data-verdict="admit"][data-serial="6"]').waitFor();
    expect(await verdictPanel(page).textContent()).toContain('Lee Guest 1 ');
    await picker.selectOption({ label: 'Keyboard Gala' });
  });

  it('every screen and admin tab passes axe at 1366×800 and 1024×700', async () => {
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      for (const screen of ['Events', 'Attendees', 'Check-in', 'Stats', 'Sync', 'Profile'] as const) {
        await goTo(page, screen);
        // The screens with guests' figures are looked at with them in place, not while loading.
        if (screen === 'Attendees') await page.getByText('Kit Guest 1').first().waitFor();
        if (screen === 'Check-in') {
          await page.getByTestId('admitted-count').filter({ hasText: '/ 3' }).waitFor();
          // Looked at once the last verdict has stepped back (after 8 s), not while it may change under axe.
          await page.locator('[data-verdict][data-state="ready"]').waitFor();
        }
        await screenshot(page, `screens-${screen.toLowerCase()}-${width}`);
        await expectNoSeriousA11yViolations(page, `${screen} at ${width}×${height}`);
      }
      await goTo(page, 'Admin');
      for (const tab of ['Users and roles', 'Devices', 'Email outbox']) {
        await page.getByRole('tab', { name: tab }).click();
        await page.getByRole('tabpanel', { name: tab }).waitFor();
        await screenshot(page, `screens-admin-${tab.split(' ')[0]!.toLowerCase()}-${width}`);
        await expectNoSeriousA11yViolations(page, `Admin › ${tab} at ${width}×${height}`);
      }
    }
  });
});
