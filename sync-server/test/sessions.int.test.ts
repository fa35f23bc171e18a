import { randomUUID } from 'node:crypto';
import type { Session } from '@gatehouse/protocol';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../tests/support/http';
import { reopenedDbName, startTestServer, testStoreKind, type TestServer } from '../../tests/support/server';
import { signInAs, signInOnDevice, type SignedIn } from '../../tests/support/users';
import { addBooking, createEvent, SimDevice } from './sync-fixtures';

/**
 * #18: a session ends when it is ended — sign-out, refresh-token reuse, a revoked device, an
 * admin's sign-out-everywhere, a password change — and its access tokens stop with it, on every
 * server process, not when they expire.
 */
let server: TestServer;
let admin: SignedIn;
let organizer: SignedIn;

beforeAll(async () => {
  server = await startTestServer({ logLevel: 'error' });
  [admin, organizer] = await Promise.all([signInAs(server, 'admin'), signInAs(server, 'organizer')]);
});
afterAll(async () => {
  await server.close();
});

const codeOf = (answer: { body: unknown }) => (answer.body as { error?: { code?: string } }).error?.code;

describe('sessions end when they are ended', () => {
  it('sign-out stops the access token at once: no profile read, no check-in pushed', async () => {
    const staff = await signInAs(server, 'staff');
    const event = await createEvent(organizer.api, [staff.user.id]);
    const bookingId = await addBooking(organizer.api, event);
    const device = new SimDevice(staff.api);
    expect((await staff.api.get('/users/me')).status).toBe(200);
    expect((await staff.api.post('/auth/logout', { refreshToken: staff.refreshToken })).status).toBe(200);
    const me = await staff.api.get('/users/me');
    expect([me.status, codeOf(me)]).toEqual([401, 'SESSION_ENDED']);
    const push = await device.pushRaw([device.checkin(event.id, bookingId)]);
    expect([push.status, codeOf(push)]).toEqual([401, 'SESSION_ENDED']);
    expect(await server.ctx.store.checkins.listForBooking(bookingId)).toHaveLength(0);
  });

  it('a token issued for one device cannot sync as another', async () => {
    const staff = await signInAs(server, 'staff');
    const deviceId = randomUUID();
    const onDevice = await signInOnDevice(server, staff, deviceId);
    const own = await onDevice.api.get('/sync/pull', { headers: { 'x-device-id': deviceId } });
    expect(own.status).toBe(200);
    const other = await onDevice.api.get('/sync/pull', { headers: { 'x-device-id': randomUUID() } });
    expect([other.status, codeOf(other)]).toEqual([403, 'TOKEN_DEVICE_MISMATCH']);
    const stranger = new SimDevice(onDevice.api);
    const push = await stranger.pushRaw([stranger.checkin(randomUUID(), randomUUID())]);
    expect([push.status, codeOf(push)]).toEqual([403, 'TOKEN_DEVICE_MISMATCH']);
    // After a refresh the token still names the device.
    const refreshed = await onDevice.api.post<Session>('/auth/refresh', { refreshToken: onDevice.refreshToken });
    const again = await onDevice.api
      .withToken(refreshed.body.accessToken)
      .get('/sync/pull', { headers: { 'x-device-id': randomUUID() } });
    expect(codeOf(again)).toBe('TOKEN_DEVICE_MISMATCH');
  });

  it('a reused refresh token ends the whole session, access tokens included', async () => {
    const staff = await signInAs(server, 'staff');
    const refreshed = await staff.api.post<Session>('/auth/refresh', { refreshToken: staff.refreshToken });
    expect(refreshed.status).toBe(200);
    const newer = staff.api.withToken(refreshed.body.accessToken);
    expect((await newer.get('/users/me')).status).toBe(200);
    const reuse = await staff.api.post('/auth/refresh', { refreshToken: staff.refreshToken });
    expect(codeOf(reuse)).toBe('REFRESH_TOKEN_REUSED');
    expect(codeOf(await newer.get('/users/me'))).toBe('SESSION_ENDED');
    expect(codeOf(await staff.api.get('/users/me'))).toBe('SESSION_ENDED');
  });

  it('a user lists their sessions and ends one, or all but the current', async () => {
    const staff = await signInAs(server, 'staff');
    const laptopId = randomUUID();
    const laptop = await signInOnDevice(server, staff, laptopId);
    const tablet = await signInOnDevice(server, staff, randomUUID());
    const listed = await staff.api.get<{ items: { id: string; deviceId: string | null; current: boolean }[] }>(
      '/users/me/sessions',
    );
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(3);
    expect(listed.body.items.filter((session) => session.current)).toHaveLength(1);
    const onLaptop = listed.body.items.find((session) => session.deviceId === laptopId)!;
    // Another user cannot end it, nor learn that it exists.
    const stranger = await signInAs(server, 'staff');
    expect((await stranger.api.delete(`/users/me/sessions/${onLaptop.id}`)).status).toBe(404);
    expect((await laptop.api.get('/users/me')).status).toBe(200);
    expect((await staff.api.delete(`/users/me/sessions/${onLaptop.id}`)).status).toBe(200);
    expect(codeOf(await laptop.api.get('/users/me'))).toBe('SESSION_ENDED');
    expect((await staff.api.delete(`/users/me/sessions/${onLaptop.id}`)).status).toBe(404);
    const others = await staff.api.delete<{ ended: number }>('/users/me/sessions');
    expect(others.body).toEqual({ ended: 1 });
    expect(codeOf(await tablet.api.get('/users/me'))).toBe('SESSION_ENDED');
    expect((await staff.api.get('/users/me')).status).toBe(200);
    const left = await staff.api.get<{ items: unknown[] }>('/users/me/sessions');
    expect(left.body.items).toHaveLength(1);
  });

  it('an admin signs a user out everywhere; no one else can', async () => {
    const staff = await signInAs(server, 'staff');
    const second = await signInOnDevice(server, staff, randomUUID());
    expect((await organizer.api.delete(`/users/${staff.user.id}/sessions`)).status).toBe(403);
    const ended = await admin.api.delete<{ ended: number }>(`/users/${staff.user.id}/sessions`);
    expect(ended.body).toEqual({ ended: 2 });
    for (const session of [staff, second]) {
      expect(codeOf(await session.api.get('/users/me'))).toBe('SESSION_ENDED');
      expect(codeOf(await session.api.post('/auth/refresh', { refreshToken: session.refreshToken }))).toBe(
        'REFRESH_TOKEN_INVALID',
      );
    }
    expect((await admin.api.delete(`/users/${randomUUID()}/sessions`)).status).toBe(404);
  });

  it('a password change needs the current password and ends every other session', async () => {
    const staff = await signInAs(server, 'staff');
    const other = await signInOnDevice(server, staff, randomUUID());
    const wrong = await staff.api.post('/users/me/password', {
      currentPassword: 'not the password',
      newPassword: 'a brand new passphrase',
    });
    expect([wrong.status, codeOf(wrong)]).toEqual([401, 'INVALID_CREDENTIALS']);
    const weak = await staff.api.post('/users/me/password', { currentPassword: staff.password, newPassword: 'short' });
    expect(codeOf(weak)).toBe('VALIDATION_FAILED');
    expect((await other.api.get('/users/me')).status).toBe(200);
    const changed = await staff.api.post('/users/me/password', {
      currentPassword: staff.password,
      newPassword: 'a brand new passphrase',
    });
    expect(changed.body).toEqual({ ended: 1 });
    expect((await staff.api.get('/users/me')).status).toBe(200);
    expect(codeOf(await other.api.get('/users/me'))).toBe('SESSION_ENDED');
    const anon = new ApiClient(server.baseUrl);
    const login = (password: string) => anon.post('/auth/login', { email: staff.user.email, password });
    expect(codeOf(await login(staff.password))).toBe('INVALID_CREDENTIALS');
    expect((await login('a brand new passphrase')).status).toBe(200);
  });

  it('a disabled account is told so on every call, its refresh included', async () => {
    const staff = await signInAs(server, 'staff');
    expect((await admin.api.patch(`/users/${staff.user.id}`, { disabled: true })).status).toBe(200);
    expect(codeOf(await staff.api.get('/users/me'))).toBe('ACCOUNT_DISABLED');
    expect(codeOf(await staff.api.post('/auth/refresh', { refreshToken: staff.refreshToken }))).toBe(
      'ACCOUNT_DISABLED',
    );
  });

  it('a token from before sessions were named is expired (the client refreshes), a forged one invalid', async () => {
    const staff = await signInAs(server, 'staff');
    const { secret, issuer, audience } = server.config.jwt;
    const sign = (key: string, claims: object) =>
      jwt.sign({ role: 'staff', typ: 'access', ...claims }, key, {
        algorithm: 'HS256',
        expiresIn: 60,
        issuer,
        audience,
        subject: staff.user.id,
      });
    const unnamed = await staff.api.get('/users/me', { token: sign(secret, {}) });
    expect(codeOf(unnamed)).toBe('TOKEN_EXPIRED');
    const forged = await staff.api.get('/users/me', {
      token: sign('another-secret-that-is-long-enough-0123456789', {}),
    });
    expect(codeOf(forged)).toBe('TOKEN_INVALID');
    const madeUp = await staff.api.get('/users/me', { token: sign(secret, { sid: randomUUID() }) });
    expect(codeOf(madeUp)).toBe('SESSION_ENDED');
  });
});

// Two server processes share one store only on MongoDB (a SQLite file has one server process).
describe.runIf(testStoreKind() === 'mongodb')('on every server process', () => {
  it('a sign-out on one process stops the token on another within the session-check bound', async () => {
    const second = await startTestServer({ logLevel: 'error', dbName: reopenedDbName(server) });
    try {
      const staff = await signInAs(server, 'staff');
      const elsewhere = staff.api.withBaseUrl(second.baseUrl);
      expect((await elsewhere.get('/users/me')).status).toBe(200);
      expect((await staff.api.post('/auth/logout', { refreshToken: staff.refreshToken })).status).toBe(200);
      // The bound is SESSION_CHECK_STALENESS_MS (2 s); #18 allows 5 s, the poll's limit.
      await expect
        .poll(async () => codeOf(await elsewhere.get('/users/me')), { timeout: 5_000, interval: 100 })
        .toBe('SESSION_ENDED');
    } finally {
      await second.close();
    }
  });
});
