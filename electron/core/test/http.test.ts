import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFetch, httpTransport } from '../api/http';

/** A real HTTP server on loopback; each path answers one way. */
let server: Server;
let base: string;
/** Connections the server accepted: an answer left unread must not cost a new one. */
let connections = 0;
const BIG = 'x'.repeat(200_000);

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function answer(request: IncomingMessage, response: ServerResponse): void {
  void readBody(request).then((body) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname === '/echo') {
      const text = JSON.stringify({ method: request.method, body, auth: request.headers.authorization ?? null });
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'x-two': ['a', 'b'],
      });
      response.end(text);
    } else if (url.pathname === '/not-modified') {
      response.writeHead(304, { etag: '"v1"' });
      response.end();
    } else if (url.pathname === '/refused') {
      // Larger than the connection's buffers: left unread on the socket, it would stall the connection.
      const text = JSON.stringify({ error: { code: 'SOLD_OUT', message: 'No seats left', padding: BIG.repeat(10) } });
      response.writeHead(409, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(text);
    } else if (url.pathname === '/chunked') {
      // No Content-Length: handed over unread, streamed as the caller reads it.
      response.writeHead(200, { 'content-type': 'text/csv' });
      Readable.from(['a,b\n', BIG, '\n']).pipe(response);
    } else if (url.pathname === '/slow') {
      setTimeout(() => response.end('{}'), 5_000).unref();
    } else {
      response.writeHead(404);
      response.end();
    }
  });
}

beforeAll(async () => {
  server = createServer(answer);
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('httpFetch (the ServerApi default transport, node:http)', () => {
  it('sends the method, headers and body, and reads status, headers and JSON as fetch does', async () => {
    const response = await httpFetch(`${base}/echo`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.headers.get('Content-Type')).toBe('application/json');
    expect(response.headers.get('x-two')).toBe('a, b');
    expect(response.headers.get('x-missing')).toBeNull();
    expect(await response.json()).toEqual({ method: 'POST', body: '{"a":1}', auth: 'Bearer t' });
    await expect(response.json()).rejects.toThrow(/already been read/);
  });

  it('sends bytes and a stream as the body', async () => {
    const bytes = await httpFetch(`${base}/echo`, {
      method: 'PUT',
      headers: {},
      body: new TextEncoder().encode('bytes'),
    });
    expect(await bytes.json()).toMatchObject({ body: 'bytes' });
    const stream = await httpFetch(`${base}/echo`, {
      method: 'POST',
      headers: {},
      body: Readable.toWeb(Readable.from(['str', 'eam'])) as ReadableStream<Uint8Array>,
      duplex: 'half',
    });
    expect(await stream.json()).toMatchObject({ body: 'stream' });
  });

  it('an answer nobody reads (a 304, a refusal) does not hold its connection', async () => {
    // One connection at most: a request queued behind an unread answer would wait for it forever.
    const oneConnection = httpTransport({ maxSockets: 1 });
    const before = connections;
    for (let i = 0; i < 5; i++) {
      const signal = AbortSignal.timeout(2_000);
      const notModified = await oneConnection(`${base}/not-modified`, { method: 'GET', headers: {}, signal });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get('etag')).toBe('"v1"');
      const refused = await oneConnection(`${base}/refused`, { method: 'GET', headers: {}, signal });
      expect(refused.ok).toBe(false);
    }
    expect(connections - before).toBe(1);
  });

  it('hands over an unsized answer as a stream, read as the caller reads it', async () => {
    const response = await httpFetch(`${base}/chunked`, { method: 'GET', headers: {} });
    expect(response.ok).toBe(true);
    let text = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      text += Buffer.from(chunk).toString('utf8');
    }
    expect(text).toBe(`a,b\n${BIG}\n`);
  });

  it('reads a sized answer as bytes', async () => {
    const response = await httpFetch(`${base}/echo`, { method: 'GET', headers: {} });
    const parsed = JSON.parse(Buffer.from(await response.arrayBuffer()).toString('utf8')) as { method: string };
    expect(parsed.method).toBe('GET');
  });

  it('rejects when the signal ends the request, and when nothing listens', async () => {
    await expect(
      httpFetch(`${base}/slow`, { method: 'GET', headers: {}, signal: AbortSignal.timeout(50) }),
    ).rejects.toThrow();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(httpFetch(`http://127.0.0.1:${port}/echo`, { method: 'GET', headers: {} })).rejects.toThrow();
  });
});
