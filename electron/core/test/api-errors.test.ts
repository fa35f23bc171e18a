import { describe, expect, it } from 'vitest';
import { errorFromResponse } from '../api/client';

describe('errorFromResponse', () => {
  it('keeps the server’s stable code and message', async () => {
    const answer = new Response(JSON.stringify({ error: { code: 'SOLD_OUT', message: 'No seats left' } }), {
      status: 409,
    });
    expect(await errorFromResponse(answer)).toMatchObject({ code: 'SOLD_OUT', message: 'No seats left' });
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
