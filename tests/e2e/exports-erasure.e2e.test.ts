import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ERASED_ATTENDEE_NAME, type Booking, type Event } from '@gatehouse/protocol';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { createEvent } from '../sync/support';
import { openAttendeesOf, signIn } from './support/app';
import { type AppInChromium, closeAfterTests, openAppInChromium } from './support/appInChromium';
import { expectNoSeriousA11yViolations, screenshot } from './support/browser';

/**
 * An organizer in Chromium exports an event's attendees and check-in log from the Attendees screen
 * (saved into the browser host's data folder, the screen naming where) and erases one attendee's
 * personal data: the row then reads "Erased attendee", keeps its code, and the next export too.
 */
describe('exports and erasure on the Attendees screen', () => {
  let server: TestServer;
  let organizer: SignedIn;
  let app: AppInChromium;
  let page: Page;
  let event: Event;
  let erasable: Booking;

  beforeAll(async () => {
    server = await startTestServer();
    organizer = await signInAs(server, 'organizer', 'Orla Organizer');
    event = await createEvent(organizer.api, [], { title: 'Quayside Lantern Walk' });
    const add = async (name: string, email: string) => {
      const answer = await organizer.api.post<Booking>(`/events/${event.id}/bookings`, {
        ticketTypeId: event.ticketTypes[0]!.id,
        attendee: { name, email },
      });
      expect(answer.status).toBe(201);
      return answer.body;
    };
    await add('Ingrid Exported', 'ingrid@example.test');
    erasable = await add('Paul Private', 'paul.private@example.test');
    app = await openAppInChromium({
      name: 'exports',
      serverUrl: server.baseUrl,
      deviceName: 'organizer-laptop',
      core: { pollMs: 1000, verifierCost: 2 ** 10 },
    });
    page = app.page;
    await signIn(page, { serverUrl: server.baseUrl, email: organizer.user.email, password: organizer.password });
    await openAttendeesOf(page, event.title);
    await page.getByRole('row').filter({ hasText: 'Paul Private' }).waitFor();
  });

  closeAfterTests(
    () => app,
    () => server,
  );

  /** Clicks an export button and answers the file the screen says it saved. */
  async function exportFile(label: 'Attendees' | 'Check-in log'): Promise<string> {
    const saved = page.getByTestId('export-saved');
    await page.getByRole('group', { name: 'Export' }).getByRole('button', { name: label }).click();
    await saved.filter({ hasText: `${label} saved to` }).waitFor();
    const file = (await saved.locator('.mono').textContent()) ?? '';
    expect(path.dirname(file)).toBe(path.join(app.root, 'organizer-laptop', 'exports'));
    expect(existsSync(file)).toBe(true);
    return file;
  }

  it('exports the attendees and the check-in log into the data folder, and says where', async () => {
    const attendees = readFileSync(await exportFile('Attendees'));
    expect([...attendees.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(attendees.toString('utf8')).toContain('Paul Private,paul.private@example.test');
    const log = readFileSync(await exportFile('Check-in log')).toString('utf8');
    expect(log).toMatch(/^\ufeffscannedAt,kind,gate,/);
    await screenshot(page, 'exports-01-saved-1366');
  });

  it("erases one attendee's name and email: the row keeps its code, and the next export shows the placeholder", async () => {
    const row = page.getByRole('row').filter({ hasText: 'Paul Private' });
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Erase personal data of Paul Private' }).click();
    const erased = page.getByRole('row').filter({ hasText: erasable.code });
    await erased.filter({ hasText: ERASED_ATTENDEE_NAME }).waitFor();
    expect(await page.getByText('Paul Private').count()).toBe(0);
    expect(await page.getByText('paul.private@example.test').count()).toBe(0);
    expect(await erased.getByText('erased', { exact: true }).count()).toBe(1);
    expect(
      await erased.getByRole('button', { name: `Erase personal data of ${ERASED_ATTENDEE_NAME}` }).isDisabled(),
    ).toBe(true);
    const attendees = readFileSync(await exportFile('Attendees')).toString('utf8');
    expect(attendees).not.toContain('Paul Private');
    expect(attendees).not.toContain('paul.private@example.test');
    expect(attendees).toContain(`${erasable.code},${ERASED_ATTENDEE_NAME},`);
    expect(attendees).toContain('Ingrid Exported');
    await screenshot(page, 'exports-02-erased-1366');
    await expectNoSeriousA11yViolations(page, 'attendees with exports');
  });
});
