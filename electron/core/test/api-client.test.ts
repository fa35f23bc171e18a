import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@gatehouse/protocol';
import { errorFromResponse, ServerApi } from '../api/client';

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
