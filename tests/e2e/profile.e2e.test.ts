import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAST_MAIL, SmtpSink } from '../../sync-server/test/mail-harness';
import { startTestServer, type TestServer } from '../support/server';
import { uniqueEmail } from '../support/http';
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
  let smtp: SmtpSink;
  let admin: SignedIn;
  let staff: SignedIn;
  let app: AppInChromium;
  let page: Page;

  beforeAll(async () => {
    smtp = await SmtpSink.start();
    server = await startTestServer({ smtpUrl: smtp.url, mail: FAST_MAIL });
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
    await smtp?.close();
  });

  /**
   * The code in the email-change mail that reached `address` ('' until one has), read from what the
   * SMTP server received: the outbox keeps the message with its code masked once sent.
   */
  function mailedCode(address: string): string {
    const mail = smtp.accepted.find(
      (transfer) => transfer.to.includes(address) && transfer.parsed.subject?.includes('Confirm your new email'),
    );
    return /[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}/.exec(mail?.parsed.text ?? '')?.[0] ?? '';
  }

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

  it('renames, and changes the email only with the code mailed to the new address', async () => {
    const card = page.getByRole('region', { name: 'Name and email' });
    await card.getByRole('textbox', { name: 'Name', exact: true }).fill('Pia P. Profile');
    await card.getByRole('button', { name: 'Save name' }).click();
    await page.getByText('Your name is now Pia P. Profile.').waitFor();
    expect((await server.ctx.store.users.findById(staff.user.id))?.name).toBe('Pia P. Profile');

    const newEmail = uniqueEmail('pia-new');
    const ask = card.getByRole('form', { name: 'Change email' });
    await ask.getByLabel('New email address').fill(newEmail);
    await ask.getByLabel('Current password').fill('a much better passphrase');
    await ask.getByRole('button', { name: 'Send code' }).click();
    const pending = card.getByTestId('email-change-pending');
    await pending.getByText(newEmail).waitFor();
    expect(await card.getByTestId('profile-email').textContent()).toBe(staff.user.email);

    // The code, as the outbox queued it for the new address.
    let code = '';
    await expect.poll(() => (code = mailedCode(newEmail))).not.toBe('');

    const confirmForm = card.getByRole('form', { name: 'Confirm new email' });
    await confirmForm.getByLabel('Code from the email').fill('AAAA-AAAA-AAAA-AAAA-AAAA');
    await confirmForm.getByRole('button', { name: 'Confirm new email' }).click();
    await confirmForm.getByText('That code is not the latest one we sent').waitFor();
    await screenshot(page, 'profile-email-pending-1024x700');
    await confirmForm.getByLabel('Code from the email').fill(code.toLowerCase());
    await confirmForm.getByRole('button', { name: 'Confirm new email' }).click();
    await page.getByText(`Your email is now ${newEmail}.`).waitFor();
    await expect.poll(() => card.getByTestId('profile-email').textContent()).toBe(newEmail);
    const login = await staff.api.post('/auth/login', { email: newEmail, password: 'a much better passphrase' });
    expect(login.status).toBe(200);
    await screenshot(page, 'profile-email-changed-1024x700');
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
