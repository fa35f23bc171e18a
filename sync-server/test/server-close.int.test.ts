import { connect } from 'node:net';
import { PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../tests/support/server';

/** Keep-alive connections outlive a request by Fastify's keepAliveTimeout: 72 s. */
const KEEP_ALIVE_MS = 72_000;

describe('closing the server', () => {
  it('ends once a request in flight at the close is answered, not a keep-alive timeout later', async () => {
    const server = await startTestServer({ logLevel: 'silent' });
    const { port } = new URL(server.baseUrl);
    const body = JSON.stringify({ email: 'nobody@example.test', password: 'not their password' });
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    // The headers and half the body: the request is in flight, its body still arriving.
    socket.write(
      [
        'POST /auth/login HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        `${PROTOCOL_VERSION_HEADER}: ${PROTOCOL_VERSION}`,
        'Connection: keep-alive',
        '',
        body.slice(0, 10),
      ].join('\r\n'),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const closed = server.close();
    socket.write(body.slice(10));
    await Promise.all([closed, ended]);
    // Answered (the login refused), and the connection ended right after.
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(Date.now() - started).toBeLessThan(KEEP_ALIVE_MS / 4);
  });
});
