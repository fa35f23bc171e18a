import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { ApiClient, registerUser, uniqueEmail } from '../../tests/support/http';
import { startTestServer, type TestServer } from '../../tests/support/server';
import { signInAs } from '../../tests/support/users';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  // trustProxy lets the lock-out test speak from a second client address via X-Forwarded-For.
  server = await startTestServer({ trustProxy: true });
  api = new ApiClient(server.baseUrl);
});
afterAll(async () => {
  await server.close();
});

describe('auth lifecycle', () => {
  it('register → login → /users/me → refresh rotates → reuse revokes the family → logout', async () => {
    const email = uniqueEmail('life');
    const password = 'a long enough password';
    const registered = await api.post('/auth/register', { email: `  ${email.toUpperCase()} `, password, name: 'Ada' });
    expect(registered.status).toBe(201);
    expect(registered.body.user).toMatchObject({ email, name: 'Ada', role: 'attendee', disabled: false });
    expect(registered.body.user).not.toHaveProperty('passwordHash');

    const login = await api.post('/auth/login', { email, password });
    expect(login.status).toBe(200);
    const { accessToken, refreshToken } = login.body;

    const me = await api.get('/users/me', { token: accessToken });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(email);

    const rotated = await api.post('/auth/refresh', { refreshToken });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refreshToken).not.toBe(refreshToken);
    expect((await api.get('/users/me', { token: rotated.body.accessToken })).status).toBe(200);

    // The old token again: theft detected, the whole family (including the new token) is revoked.
    const reuse = await api.post('/auth/refresh', { refreshToken });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('REFRESH_TOKEN_REUSED');
    const afterReuse = await api.post('/auth/refresh', { refreshToken: rotated.body.refreshToken });
    expect(afterReuse.status).toBe(401);
    expect(afterReuse.body.error.code).toBe('REFRESH_TOKEN_INVALID');

    // A fresh session, then logout revokes it.
    const second = await api.post('/auth/login', { email, password });
    const logout = await api.post('/auth/logout', { refreshToken: second.body.refreshToken });
    expect(logout.status).toBe(200);
    const afterLogout = await api.post('/auth/refresh', { refreshToken: second.body.refreshToken });
    expect(afterLogout.status).toBe(401);
  });

  it('refuses a second account with the same normalised email', async () => {
    const email = uniqueEmail('dup');
    expect((await api.post('/auth/register', { email, password: 'password-1234', name: 'A' })).status).toBe(201);
    const again = await api.post('/auth/register', {
      email: email.toUpperCase(),
      password: 'password-1234',
      name: 'B',
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('EMAIL_TAKEN');
  });

  it('concurrent use of one refresh token lets exactly one rotation win', async () => {
    const user = await registerUser(api);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api.post('/auth/refresh', { refreshToken: user.refreshToken })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });
});

describe('bad input never causes a 500', () => {
  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    const result = await api.request('POST', '/auth/login', { raw: '{"email": "a@b.c", ' });
    expect(result.status).toBe(400);
    expect(result.body.error.code).toBe('MALFORMED_JSON');
  });

  it('wrong types and unknown fields → 400 VALIDATION_FAILED with details', async () => {
    const wrongTypes = await api.post('/auth/register', { email: 42, password: ['x'], name: null });
    expect(wrongTypes.status).toBe(400);
    expect(wrongTypes.body.error.code).toBe('VALIDATION_FAILED');
    expect(wrongTypes.body.error.details.length).toBeGreaterThan(0);
    const unknown = await api.post('/auth/register', {
      email: uniqueEmail(),
      password: 'password-1234',
      name: 'X',
      role: 'admin',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('$-operators in place of values are refused before reaching the database', async () => {
    const result = await api.post('/auth/login', { email: { $gt: '' }, password: { $ne: null } });
    expect(result.status).toBe(400);
    expect(result.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('a 2 MB body → 413 PAYLOAD_TOO_LARGE', async () => {
    const result = await api.post('/auth/register', {
      email: uniqueEmail(),
      password: 'x'.repeat(2 * 1024 * 1024),
      name: 'X',
    });
    expect(result.status).toBe(413);
    expect(result.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('non-JSON content type → 415', async () => {
    const result = await api.request('POST', '/auth/login', {
      raw: 'email=a',
      headers: { 'content-type': 'text/plain' },
    });
    expect(result.status).toBe(415);
    expect(result.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('unknown route → 404 in the error shape', async () => {
    const result = await api.get('/nope');
    expect(result.status).toBe(404);
    expect(result.body.error.code).toBe('NOT_FOUND');
  });
});

describe('access tokens', () => {
  it('missing token → 401 UNAUTHENTICATED', async () => {
    const result = await api.get('/users/me');
    expect(result.status).toBe(401);
    expect(result.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('alg:none, another key, expired, and a refresh token as access token are all refused', async () => {
    const user = await registerUser(api);
    const claims = { sub: user.user.id, role: 'admin', typ: 'access' };
    const opts = { issuer: server.config.jwt.issuer, audience: server.config.jwt.audience };
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ ...claims, iss: opts.issuer, aud: opts.audience, iat: 1, exp: 4_000_000_000 }),
    ).toString('base64url');
    const forged = {
      none: `${header}.${payload}.`,
      otherKey: jwt.sign(claims, 'another-secret-that-is-also-long-enough-000000', { ...opts, algorithm: 'HS256' }),
      expired: jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, server.config.jwt.secret, {
        ...opts,
        algorithm: 'HS256',
      }),
      wrongTyp: jwt.sign({ ...claims, typ: 'refresh' }, server.config.jwt.secret, { ...opts, algorithm: 'HS256' }),
      refreshToken: user.refreshToken,
    };
    for (const [name, token] of Object.entries(forged)) {
      const result = await api.get('/users/me', { token });
      expect(result.status, name).toBe(401);
      expect(result.body.error.code, name).toBe(name === 'expired' ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID');
    }
  });

  it('a token verified before still expires at its exp, and a tampered copy of it is refused', async () => {
    // The server keeps verified tokens in memory (TokenService): a hit must be judged by its exp
    // as a fresh verify is, and a token differing in any byte is never the kept one.
    const user = await registerUser(api);
    const real = jwt.decode(user.accessToken) as { sid: string; did: string | null };
    const exp = Math.floor(Date.now() / 1000) + 2;
    const shortLived = jwt.sign(
      { sub: user.user.id, role: 'attendee', typ: 'access', sid: real.sid, did: real.did, exp },
      server.config.jwt.secret,
      { issuer: server.config.jwt.issuer, audience: server.config.jwt.audience, algorithm: 'HS256' },
    );
    expect((await api.get('/users/me', { token: shortLived })).status).toBe(200);
    expect((await api.get('/users/me', { token: shortLived })).status).toBe(200);
    const signature = shortLived.slice(shortLived.lastIndexOf('.') + 1);
    const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    const tampered = `${shortLived.slice(0, shortLived.lastIndexOf('.') + 1)}${flipped}`;
    const refused = await api.get('/users/me', { token: tampered });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('TOKEN_INVALID');

    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    const late = await api.get('/users/me', { token: shortLived });
    expect(late.status).toBe(401);
    expect(late.body.error.code).toBe('TOKEN_EXPIRED');
  });

  it("a disabled user's access and refresh tokens stop working at once", async () => {
    const admin = await signInAs(server, 'admin');
    const victim = await registerUser(api);
    expect((await api.get('/users/me', { token: victim.accessToken })).status).toBe(200);
    const disabled = await admin.api.patch(`/users/${victim.user.id}`, { disabled: true });
    expect(disabled.status).toBe(200);
    const me = await api.get('/users/me', { token: victim.accessToken });
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('ACCOUNT_DISABLED');
    expect((await api.post('/auth/refresh', { refreshToken: victim.refreshToken })).status).toBe(401);
    const login = await api.post('/auth/login', { email: victim.user.email, password: victim.password });
    expect(login.status).toBe(401);
    expect(login.body.error.code).toBe('ACCOUNT_DISABLED');
  });
});

describe('login lock-out', () => {
  it('20 wrong passwords lock the account for this client with 429 + Retry-After; another client still signs in', async () => {
    const user = await registerUser(api);
    const codes: string[] = [];
    let lastLocked: Headers | undefined;
    for (let i = 0; i < 20; i++) {
      const result = await api.post('/auth/login', { email: user.user.email, password: 'wrong password!' });
      codes.push(result.body.error.code);
      if (result.status === 429) lastLocked = result.headers;
    }
    expect(codes.slice(0, 10).every((code) => code === 'INVALID_CREDENTIALS')).toBe(true);
    expect(codes.slice(10).every((code) => code === 'ACCOUNT_LOCKED')).toBe(true);
    expect(Number(lastLocked?.get('retry-after'))).toBeGreaterThan(0);
    // Even the right password is refused while locked from this address…
    const locked = await api.post('/auth/login', { email: user.user.email, password: user.password });
    expect(locked.status).toBe(429);
    // …but the real user, elsewhere, is not locked out by someone else's guessing.
    const elsewhere = await api.post(
      '/auth/login',
      { email: user.user.email, password: user.password },
      { headers: { 'x-forwarded-for': '198.51.100.7' } },
    );
    expect(elsewhere.status).toBe(200);
  });

  it('wrong passwords sent all at once are each refused as wrong, never a server error', async () => {
    const user = await registerUser(api);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        api.post(
          '/auth/login',
          { email: user.user.email, password: 'wrong password!' },
          { headers: { 'x-forwarded-for': '203.0.113.9' } },
        ),
      ),
    );
    expect(results.map((result) => result.body.error?.code)).toEqual(Array(6).fill('INVALID_CREDENTIALS'));
    // The race underneath, head on: the first failures of an account, recorded at once, all count.
    for (let round = 0; round < 5; round++) {
      const email = uniqueEmail('race');
      await Promise.all(Array.from({ length: 8 }, () => server.ctx.lockout.recordFailure(email, '203.0.113.10')));
    }
  });
});

describe('admin user management', () => {
  it('lists with search and pagination, changes roles; non-admins are forbidden', async () => {
    const admin = await signInAs(server, 'admin');
    const organizer = await signInAs(server, 'organizer', 'Olga Organizer');
    for (let i = 0; i < 3; i++) await registerUser(api, `Paged Person ${i}`);
    const page1 = await admin.api.get('/users?limit=2&q=Paged%20Person');
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await admin.api.get(`/users?limit=2&q=Paged%20Person&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.nextCursor).toBeNull();

    const promote = await admin.api.patch(`/users/${organizer.user.id}`, { role: 'staff' });
    expect(promote.body.role).toBe('staff');
    // The role is read from the database per request: the old token now carries staff rights only.
    expect((await organizer.api.get('/users')).status).toBe(403);
    expect((await admin.api.patch(`/users/${admin.user.id}`, { role: 'staff' })).body.error.code).toBe('CONFLICT');
    expect((await admin.api.get('/users?cursor=not-a-cursor')).body.error.code).toBe('CURSOR_INVALID');
    expect((await admin.api.patch('/users/nope', { role: 'staff' })).status).toBe(404);
    expect((await admin.api.patch('/users/bad$id', { role: 'staff' })).status).toBe(400);
  });
});

describe('health', () => {
  it('/health and /ready answer; security headers are set', async () => {
    const health = await api.get('/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await api.get('/ready')).status).toBe(200);
  });
});
