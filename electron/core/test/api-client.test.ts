import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type PushRequest, routes } from '@gatehouse/protocol';
import { errorFromResponse, ServerApi } from '../api/client';
import { PreparedJson } from '../api/prepared-json';

describe('errorFromResponse', () => {
  it('keeps the server’s stable code and message', async () => {
    const answer = new Response(JSON.stringify({ error: { code: 'SOLD_OUT', message: 'No seats left' } }), {
      status: 409,
    });
    expect(await errorFromResponse(answer)).toMatchObject({ code: 'SOLD_OUT', message: 'No seats left' });
  });

  it('keeps the server’s details of the input at fault, and drops a list not of their shape', async () => {
    const answer = (details: unknown) =>
      new Response(JSON.stringify({ error: { code: 'VALIDATION_FAILED', message: 'Invalid body', details } }), {
        status: 400,
      });
    const details = [{ path: 'ticketTypes.0.quota', message: 'Too big' }];
    expect((await errorFromResponse(answer(details))).details).toEqual(details);
    expect((await errorFromResponse(answer([{ path: 3 }]))).details).toBeUndefined();
  });

  it('names an answer without a code by its status: an outage is not a bug', async () => {
    const codeOf = async (status: number, body = '<html>Service Unavailable</html>') =>
      (await errorFromResponse(new Response(body, { status }))).code;
    expect(await codeOf(503)).toBe('SERVICE_UNAVAILABLE');
    expect(await codeOf(502)).toBe('SERVICE_UNAVAILABLE');
    expect(await codeOf(429)).toBe('RATE_LIMITED');
    expect(await codeOf(401, '{}')).toBe('UNAUTHENTICATED');
    expect(await codeOf(500)).toBe('INTERNAL');
    expect(await codeOf(409, JSON.stringify({ error: { code: 'NOT_A_CODE' } }))).toBe('INTERNAL');
  });
});

describe('ServerApi.ensureCompatible', () => {
  const hooks = { onReachability() {}, onClockSkew() {}, onSessionLost() {} };
  const tokens = {
    accessToken: () => 'token',
    refreshToken: async () => 'refresh',
    store: async () => undefined,
    clear: async () => undefined,
  };
  /** A server from before protocol versions: answers everything, names no range. */
  function oldServer(seen: string[]): typeof fetch {
    return (async (input: string | URL | Request) => {
      seen.push(new URL(String(input)).pathname);
      return new Response(JSON.stringify({ status: 'ok' }), { status: 200 });
    }) as typeof fetch;
  }

  it('a newer device asks first and sends nothing to a server from before versions', async () => {
    const seen: string[] = [];
    const api = new ServerApi(
      'http://server.test',
      'dev-1',
      tokens,
      hooks,
      oldServer(seen),
      Date.now,
      PROTOCOL_VERSION + 1,
    );
    await expect(api.ensureCompatible()).rejects.toMatchObject({ code: 'PROTOCOL_UNSUPPORTED' });
    // Asked again while left out (the server may have been updated meanwhile); never anything else.
    await expect(api.ensureCompatible()).rejects.toMatchObject({ code: 'PROTOCOL_UNSUPPORTED' });
    expect(seen).toEqual(['/health', '/health']);
  });

  it('a server closing or starting (a 503 before its hooks, no range) is unreachable for now, not an old server', async () => {
    const restarting = (async () =>
      new Response(JSON.stringify({ message: 'closing' }), { status: 503 })) as unknown as typeof fetch;
    const api = new ServerApi('http://server.test', 'dev-1', tokens, hooks, restarting, Date.now, 2);
    const failure = await api.ensureCompatible().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('a device of this version asks once, then goes ahead', async () => {
    const seen: string[] = [];
    const api = new ServerApi('http://server.test', 'dev-1', tokens, hooks, oldServer(seen), Date.now, 1);
    await api.ensureCompatible();
    await api.ensureCompatible();
    expect(seen).toEqual(['/health']);
  });
});

describe('ServerApi.call with a prepared body', () => {
  it('sends PreparedJson bytes as the JSON body, the same bytes again after a token refresh', async () => {
    const sent: { path: string; contentType: string | null; body: string; auth: string | null }[] = [];
    let access = 'expired';
    const server = (async (input: string | URL | Request, init?: RequestInit) => {
      const path = new URL(String(input)).pathname;
      const headers = new Headers(init?.headers);
      const body = init?.body instanceof Uint8Array ? new TextDecoder().decode(init.body) : String(init?.body);
      sent.push({ path, contentType: headers.get('content-type'), body, auth: headers.get('authorization') });
      const range = { 'x-gatehouse-protocol-range': `1-${PROTOCOL_VERSION}`, 'content-type': 'application/json' };
      if (path === '/auth/refresh') {
        return new Response(
          JSON.stringify({
            accessToken: 'fresh',
            refreshToken: 'r2',
            expiresIn: 900,
            user: { id: 'u1', email: 'a@b.test', name: 'A', role: 'staff', disabled: false, createdAt: '2026-01-01' },
          }),
          {
            status: 200,
            headers: range,
          },
        );
      }
      if (headers.get('authorization') !== 'Bearer fresh') {
        return new Response(JSON.stringify({ error: { code: 'TOKEN_EXPIRED', message: 'expired' } }), {
          status: 401,
          headers: range,
        });
      }
      const { mutations } = JSON.parse(body) as { mutations: { id: string }[] };
      const results = mutations.map((mutation) => ({ id: mutation.id, status: 'applied' }));
      return new Response(JSON.stringify({ results, serverHlc: '000009999999999:00000:server' }), {
        status: 200,
        headers: range,
      });
    }) as typeof fetch;
    const tokens = {
      accessToken: () => access,
      refreshToken: async () => 'refresh',
      store: async (session: { accessToken: string }) => {
        access = session.accessToken;
      },
      clear: async () => undefined,
    };
    const hooks = { onReachability() {}, onClockSkew() {}, onSessionLost() {} };
    const api = new ServerApi('http://server.test', 'dev-1', tokens, hooks, server);
    const id = '0b8e3f0e-5d1c-4d7e-9a51-7f3f6c1f2a10';
    const text = JSON.stringify({
      mutations: [{ id, name: 'booking.cancel', args: { bookingId: 'b1' }, hlc: '000000000000001:00000:dev' }],
    });
    const answer = await api.call(routes['sync.push'], {
      body: new PreparedJson<PushRequest>(new TextEncoder().encode(text)),
    });
    expect(answer.results).toEqual([{ id, status: 'applied' }]);
    const pushes = sent.filter((request) => request.path === '/sync/push');
    expect(pushes).toEqual([
      { path: '/sync/push', contentType: 'application/json', body: text, auth: 'Bearer expired' },
      { path: '/sync/push', contentType: 'application/json', body: text, auth: 'Bearer fresh' },
    ]);
  });
});
