import { randomUUID } from 'node:crypto';
import type { Session } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, uniqueEmail } from '../../tests/support/http';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs, signInOnDevice, type SignedIn } from '../../tests/support/users';
import { hashEmailChangeCode } from '../src/users/email-change';
import { FAST_MAIL, SmtpSink, waitFor, type Transfer } from './mail-harness';

/**
 * #20 user profile: a user renames themselves, and moves their account to another email only with
 * the code mailed to the new address (through the real outbox to a real SMTP server); the old
 * address is told afterwards. Runs on both stores (projects `integration` and `integration-mongodb`).
 */
let sink: SmtpSink;
let server: TestServer;

beforeAll(async () => {
  sink = await SmtpSink.start();
  server = await startTestServer({
    smtpUrl: sink.url,
    mailFrom: 'Gatehouse <accounts@gatehouse.example>',
    mail: FAST_MAIL,
    logLevel: 'warn',
  });
});
afterAll(async () => {
  await server?.close();
  await sink?.close();
});

const codeOf = (answer: { body: unknown }) => (answer.body as { error?: { code?: string } }).error?.code;

/** The mail of `kind` that reached `address`, waited for. */
function mailTo(address: string, subjectPart: string): Promise<Transfer> {
  return waitFor(`a mail "${subjectPart}" to ${address}`, () =>
    sink.accepted.find((transfer) => transfer.to.includes(address) && transfer.parsed.subject?.includes(subjectPart)),
  );
}

/** The code as the mail shows it (both parts carry it; the text part is read here, the HTML checked too). */
function codeIn(transfer: Transfer): string {
  const match = /\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b/.exec(transfer.parsed.text ?? '');
  expect(match, transfer.parsed.text).not.toBeNull();
  expect(transfer.parsed.html).toContain(match![1]);
  return match![1]!;
}

async function login(email: string, password: string) {
  return new ApiClient(server.baseUrl).post<Session>('/auth/login', { email, password });
}

async function requestChange(user: SignedIn, newEmail: string) {
  const asked = await user.api.post('/users/me/email-change', { newEmail, currentPassword: user.password });
  expect(asked.status, JSON.stringify(asked.body)).toBe(200);
  return codeIn(await mailTo(newEmail, 'Confirm your new email'));
}

const confirm = (token: string) => new ApiClient(server.baseUrl).post('/auth/email-change/confirm', { token });

describe('profile: name and email', () => {
  it('PATCH /users/me renames the caller, strictly: unknown fields and an email are refused', async () => {
    const staff = await signInAs(server, 'staff');
    const renamed = await staff.api.patch('/users/me', { name: '  Ada Door  ' });
    expect([renamed.status, renamed.body.name]).toEqual([200, 'Ada Door']);
    for (const body of [{ name: 'X', role: 'admin' }, { email: uniqueEmail('x') }, { name: '' }]) {
      const refused = await staff.api.patch('/users/me', body);
      expect([refused.status, codeOf(refused)], JSON.stringify(body)).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await staff.api.get('/users/me')).body).toMatchObject({ name: 'Ada Door', role: 'staff' });
  });

  it('an email change waits for the code mailed to the new address, then signs in with it and tells the old one', async () => {
    const staff = await signInAs(server, 'staff', 'Grace Gate');
    const oldEmail = staff.user.email;
    const newEmail = uniqueEmail('moved');
    const deviceId = randomUUID();
    const onDevice = await signInOnDevice(server, staff, deviceId);

    const asked = await staff.api.post('/users/me/email-change', { newEmail, currentPassword: staff.password });
    expect(asked.status).toBe(200);
    expect(asked.body.pending).toMatchObject({ newEmail });
    const mail = await mailTo(newEmail, 'Confirm your new email');
    const code = codeIn(mail);
    expect(mail.parsed.text).toContain('Profile');
    // Once sent, the outbox keeps the message's words with the code masked: the database and its
    // backups never hold a live code (the pending change keeps only its hash).
    const kept = await waitFor('the sent confirmation in the outbox', async () =>
      (await server.ctx.store.mail.list({ status: 'sent' }, undefined, 500)).find(
        (row) => row.kind === 'emailChangeConfirm' && row.to === newEmail,
      ),
    );
    for (const body of [kept.text, kept.html]) {
      expect(body).toContain('Profile');
      expect(body).toContain('••••-••••-••••-••••-••••');
      expect(body).not.toContain(code);
    }
    // Nothing changed yet: the old email signs in, the new one does not, and the change is pending.
    expect((await staff.api.get('/users/me')).body.email).toBe(oldEmail);
    expect((await login(oldEmail, staff.password)).status).toBe(200);
    expect(codeOf(await login(newEmail, staff.password))).toBe('INVALID_CREDENTIALS');
    expect((await staff.api.get('/users/me/email-change')).body.pending).toMatchObject({ newEmail });

    // Typed by hand: lower case, spaces instead of dashes.
    const confirmed = await confirm(code.toLowerCase().replace(/-/g, ' '));
    expect([confirmed.status, confirmed.body]).toEqual([200, { email: newEmail }]);
    expect((await login(newEmail, staff.password)).status).toBe(200);
    expect(codeOf(await login(oldEmail, staff.password))).toBe('INVALID_CREDENTIALS');
    expect((await staff.api.get('/users/me')).body.email).toBe(newEmail);
    expect((await staff.api.get('/users/me/email-change')).body).toEqual({ pending: null });

    const notice = await mailTo(oldEmail, 'email address was changed');
    expect(notice.parsed.text).toContain(newEmail);

    // The user's devices learn it through the user's bucket.
    const pulled = await onDevice.api.get<{
      changes: Array<{ bucket: string; type: string; doc: { email?: string } }>;
    }>('/sync/pull?limit=500', { headers: { 'x-device-id': deviceId } });
    const profiles = pulled.body.changes.filter(
      (change) => change.bucket === `user:${staff.user.id}` && change.type === 'user',
    );
    expect(profiles.at(-1)?.doc.email).toBe(newEmail);

    // A code works once.
    const again = await confirm(code);
    expect([again.status, codeOf(again)]).toEqual([409, 'EMAIL_CHANGE_CODE_USED']);
  });

  it('a wrong current password changes nothing and mails nothing; unknown fields and bad codes are refused', async () => {
    const staff = await signInAs(server, 'staff');
    const newEmail = uniqueEmail('never');
    const wrong = await staff.api.post('/users/me/email-change', { newEmail, currentPassword: 'not my password' });
    expect([wrong.status, codeOf(wrong)]).toEqual([401, 'INVALID_CREDENTIALS']);
    expect((await staff.api.get('/users/me/email-change')).body).toEqual({ pending: null });

    const extra = await staff.api.post('/users/me/email-change', {
      newEmail,
      currentPassword: staff.password,
      role: 'admin',
    });
    expect([extra.status, codeOf(extra)]).toEqual([400, 'VALIDATION_FAILED']);
    const same = await staff.api.post('/users/me/email-change', {
      newEmail: staff.user.email.toUpperCase(),
      currentPassword: staff.password,
    });
    expect([same.status, codeOf(same)]).toEqual([400, 'VALIDATION_FAILED']);
    for (const body of [
      { token: 'AAAA-AAAA-AAAA-AAAA-AAAA', extra: 1 },
      { token: 'short' },
      {},
      { token: { $ne: '' } },
    ]) {
      const answer = await new ApiClient(server.baseUrl).post('/auth/email-change/confirm', body);
      expect([answer.status, codeOf(answer)], JSON.stringify(body)).toEqual([400, 'VALIDATION_FAILED']);
    }
    const never = await confirm('AAAA-AAAA-AAAA-AAAA-AAAA');
    expect([never.status, codeOf(never)]).toEqual([400, 'EMAIL_CHANGE_CODE_INVALID']);
    expect(sink.envelopeRecipients).not.toContain(newEmail);
    // The request itself needs a signed-in caller.
    const anonymous = await new ApiClient(server.baseUrl).post('/users/me/email-change', {
      newEmail,
      currentPassword: staff.password,
    });
    expect(anonymous.status).toBe(401);
  });

  it('asking again replaces the pending change: the earlier code stops working', async () => {
    const staff = await signInAs(server, 'staff');
    const first = await requestChange(staff, uniqueEmail('first'));
    const secondEmail = uniqueEmail('second');
    const second = await requestChange(staff, secondEmail);
    expect(codeOf(await confirm(first))).toBe('EMAIL_CHANGE_CODE_INVALID');
    expect((await confirm(second)).body).toEqual({ email: secondEmail });
  });

  it('an expired code is refused and changes nothing', async () => {
    const staff = await signInAs(server, 'staff');
    const newEmail = uniqueEmail('late');
    const code = 'ABCD-EFGH-JKMN-PQRS-TV12';
    await server.ctx.store.emailChanges.request({
      userId: staff.user.id,
      newEmail,
      tokenHash: hashEmailChangeCode(code.replace(/-/g, '')),
      requestedAt: new Date(Date.now() - 25 * 3_600_000).toISOString(),
      expiresAtMs: Date.now() - 3_600_000,
    });
    const late = await confirm(code);
    expect([late.status, codeOf(late)]).toEqual([410, 'EMAIL_CHANGE_CODE_EXPIRED']);
    expect((await staff.api.get('/users/me')).body.email).toBe(staff.user.email);
    expect((await staff.api.get('/users/me/email-change')).body).toEqual({ pending: null });
  });

  it('an address taken meanwhile is EMAIL_TAKEN at confirm, and taken already at the request', async () => {
    const staff = await signInAs(server, 'staff');
    const other = await signInAs(server, 'organizer');
    const wanted = uniqueEmail('wanted');
    const code = await requestChange(staff, wanted);
    const registered = await new ApiClient(server.baseUrl).post('/auth/register', {
      email: wanted,
      password: 'another long password',
      name: 'Quick Registrant',
    });
    expect(registered.status).toBe(201);
    const taken = await confirm(code);
    expect([taken.status, codeOf(taken)]).toEqual([409, 'EMAIL_TAKEN']);
    expect((await staff.api.get('/users/me')).body.email).toBe(staff.user.email);

    const refused = await staff.api.post('/users/me/email-change', {
      newEmail: other.user.email,
      currentPassword: staff.password,
    });
    expect([refused.status, codeOf(refused)]).toEqual([409, 'EMAIL_TAKEN']);
  });
});

describe('the email-change store (both adapters)', () => {
  it('of two confirms of one code at once, exactly one applies; the other is told the code was used', async () => {
    const staff = await signInAs(server, 'staff');
    const newEmail = uniqueEmail('race');
    const code = 'RACE-0000-1111-2222-3333';
    const tokenHash = hashEmailChangeCode(code.replace(/-/g, ''));
    await server.ctx.store.emailChanges.request({
      userId: staff.user.id,
      newEmail,
      tokenHash,
      requestedAt: new Date().toISOString(),
      expiresAtMs: Date.now() + 3_600_000,
    });
    const at = new Date().toISOString();
    const outcomes = await Promise.all([
      server.ctx.store.emailChanges.confirm(tokenHash, Date.now(), at),
      server.ctx.store.emailChanges.confirm(tokenHash, Date.now(), at),
    ]);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['applied', 'used']);
    expect((await server.ctx.store.users.findById(staff.user.id))?.email).toBe(newEmail);
    expect(await server.ctx.store.emailChanges.pendingFor(staff.user.id)).toBeNull();
  });
});
