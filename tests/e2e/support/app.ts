import type { Page } from 'playwright-core';

/** What a person does on the sign-in screen. */
export async function signIn(page: Page, input: { serverUrl: string; email: string; password: string }) {
  await page.getByLabel('Server address').fill(input.serverUrl);
  await page.getByLabel('Email').fill(input.email);
  await page.getByLabel('Password').fill(input.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

export async function goTo(
  page: Page,
  screen: 'Events' | 'Attendees' | 'Check-in' | 'Stats' | 'Sync' | 'Admin' | 'Profile',
) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: screen, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: screen }).waitFor();
}

/** Opens the Attendees screen and picks the event titled `eventTitle` in its event menu. */
export async function openAttendeesOf(page: Page, eventTitle: string) {
  await goTo(page, 'Attendees');
  await page.getByRole('combobox', { name: 'Event' }).selectOption({ label: eventTitle });
}

/**
 * A USB keyboard-wedge scanner: a trusted key event for every character and a final Enter, stamped
 * `keyGapMs` apart (default 4 ms, as scanner hardware types them). The stamps, not the delivery
 * time, are what the page judges, so a loaded test machine delivering keys slowly still looks like
 * a scanner.
 */
export async function wedgeScan(page: Page, text: string, options: { keepFocus?: boolean; keyGapMs?: number } = {}) {
  // By default from a screen with nothing focused; `keepFocus` scans into whatever control has focus.
  if (!options.keepFocus) await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const cdp = await page.context().newCDPSession(page);
  try {
    const start = Date.now() / 1000;
    const keys = [...text].map((char) => ({ key: char, text: char }));
    keys.push({ key: 'Enter', text: '\r' });
    for (const [index, key] of keys.entries()) {
      const timestamp = start + (index * (options.keyGapMs ?? 4)) / 1000;
      const enter = key.key === 'Enter' ? { code: 'Enter', windowsVirtualKeyCode: 13 } : {};
      await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', ...key, ...enter, timestamp });
      await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: key.key, ...enter, timestamp });
    }
  } finally {
    await cdp.detach();
  }
}

export const verdictPanel = (page: Page) => page.getByRole('region', { name: 'Scan result' });
export const pendingCount = (page: Page) => page.getByTestId('pending-count');
export const connection = (page: Page) => page.getByTestId('connection');
