import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { goTo, signIn } from './support/app';
import { type AppInChromium, openAppInChromium } from './support/appInChromium';
import { expectNoSeriousA11yViolations, screenshot } from './support/browser';

/**
 * #18 in Chromium: a steward sees where they are signed in, signs another session out, changes
 * their password; then an admin revokes the laptop and the app says so at its next contact.
 */
describe('profile: sessions and password, and a device revoked', () => {
  let server: TestServer;
  let admin: SignedIn;
  let staff: SignedIn;
  let app: AppInChromium;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    [admin, staff] = await Promise.all([signInAs(server, 'admin'), signInAs(server, 'staff', 'Pia Profile')]);
    app = await openAppInChromium({
      name: 'profile',
      serverUrl: server.baseUrl,
      deviceName: 'laptop',
      core: { pollMs: 60_000, verifierCost: 2 ** 10 },
    });
    page = app.page;
  });

  afterEach((test) => app?.screenshotIfFailed(test));

  afterAll(async () => {
    await app?.close();
    await server?.close().catch(() => undefined);
  });

  it('lists this device and a script session, and signs the other one out', async () => {
    await signIn(page, { serverUrl: server.baseUrl, email: staff.user.email, password: staff.password });
    await goTo(page, 'Profile');
    const sessions = page.getByRole('region', { name: 'Where you are signed in' });
    await expect.poll(() => sessions.getByRole('row').count()).toBe(3);
    await expect.poll(() => sessions.getByText('this device').count()).toBe(1);
    await screenshot(page, 'profile-1366x800');
    await expectNoSeriousA11yViolations(page, 'Profile');
    await sessions.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('status').getByText('That session was signed out.').waitFor();
    expect((await staff.api.get<{ error: { code: string } }>('/users/me')).body.error.code).toBe('SESSION_ENDED');
    await expect.poll(() => sessions.getByRole('row').count()).toBe(2);
  });

  it('changes the password: a wrong current one is refused, the right one keeps this session', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    const form = page.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password').fill('not my password');
    await form.getByLabel('New password (at least 10 characters)').fill('a much better passphrase');
    await form.getByLabel('New password again').fill('a much better passphrase');
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The current password is wrong.').waitFor();
    // Beside the field at fault, which alone is outlined.
    expect(await form.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByLabel('New password (at least 10 characters)').getAttribute('aria-invalid')).toBeNull();
    await form.getByLabel('Current password').fill(staff.password);
    await form.getByRole('button', { name: 'Change password' }).click();
    await page
      .getByRole('status')
      .getByText(/Password changed/)
      .waitFor();
    await screenshot(page, 'profile-1024x700');
    const login = await staff.api.post('/auth/login', {
      email: staff.user.email,
      password: 'a much better passphrase',
    });
    expect(login.status).toBe(200);
  });

  it('a revoked laptop says so at its next contact, and where its unsent changes went', async () => {
    const deviceId = (await admin.api.get<{ items: { id: string; userId: string }[] }>('/devices')).body.items.find(
      (device) => device.userId === staff.user.id,
    )!.id;
    expect((await admin.api.delete(`/devices/${deviceId}`)).status).toBe(200);
    await goTo(page, 'Sync');
    await page.getByRole('button', { name: 'Sync now' }).click();
    const notice = page.getByRole('alert').filter({ hasText: 'This device was removed from Gatehouse' });
    await notice.waitFor();
    await expect.poll(() => notice.textContent()).toMatch(/Its data was removed from this device/);
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    await screenshot(page, 'profile-revoked-1024x700');
  });
});
