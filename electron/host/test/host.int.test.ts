import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HOST_TOKEN_META_NAME } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MemoryTokenStore } from '../../core/index';
import { startBrowserHost, type BrowserHost } from '../index';

/** Opens a socket to the host and resolves with what happened: the first frame, a close, or a refusal. */
function connect(
  url: string,
  origin: string | undefined,
  firstMessage?: unknown,
): Promise<
  { kind: 'message'; frame: any; ws: WebSocket } | { kind: 'close'; code: number } | { kind: 'refused'; status: number }
> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.once('unexpected-response', (_request, response) =>
      resolve({ kind: 'refused', status: response.statusCode ?? 0 }),
    );
    ws.once('open', () => {
      if (firstMessage !== undefined) ws.send(JSON.stringify(firstMessage));
    });
    ws.once('message', (data) => resolve({ kind: 'message', frame: JSON.parse(String(data)), ws }));
    ws.once('close', (code) => resolve({ kind: 'close', code }));
    ws.once('error', () => undefined);
  });
}

function rawGet(
  baseUrl: string,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: rawPath, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function tokenOf(html: string): string {
  const match = new RegExp(`<meta name="${HOST_TOKEN_META_NAME}" content="([^"]+)"`).exec(html);
  if (!match) throw new Error('no token in page');
  return match[1]!;
}

describe('browser host', () => {
  let root: string;
  let host: BrowserHost;
  let origin: string;
  let socketUrl: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'gatehouse-host-'));
    const rendererDir = path.join(root, 'renderer');
    mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(
      path.join(rendererDir, 'index.html'),
      '<!doctype html><html><head><title>t</title></head><body></body></html>',
    );
    writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app")');
    writeFileSync(path.join(root, 'secret.json'), '{"secret":"outside the renderer"}');
    host = await startBrowserHost({
      dataDir: path.join(root, 'device'),
      rendererDir,
      serverUrl: 'http://127.0.0.1:4000',
      tokenStore: new MemoryTokenStore(),
      core: { autoSync: false, liveSync: false },
    });
    origin = new URL(host.url).origin;
    socketUrl = `${origin.replace('http', 'ws')}/rpc`;
  });

  afterAll(async () => {
    await host?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the page on loopback with a fresh token, the server address and a strict CSP', async () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await fetch(host.url);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(tokenOf(html)).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(html).toContain('<meta name="gatehouse-server-url" content="http://127.0.0.1:4000" />');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves built assets with their type and never a file outside the renderer folder', async () => {
    const asset = await fetch(`${origin}/assets/app.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(await asset.text()).toContain('console.log');
    // Sent raw: fetch() would normalise the dot segments away before they reach the host.
    for (const attempt of ['/../secret.json', '/%2e%2e/secret.json', '/assets/..%2f..%2fsecret.json']) {
      const response = await rawGet(host.url, attempt);
      expect(response.body).not.toContain('outside the renderer');
    }
    const missing = await fetch(`${origin}/assets/missing.js`);
    expect(missing.status).toBe(404);
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const response = await rawGet(host.url, '/', { host: 'attacker.example:80' });
    expect(response.status).toBe(421);
    expect(response.body).not.toContain(HOST_TOKEN_META_NAME);
  });

  it('refuses a WebSocket from another origin, even one on localhost', async () => {
    expect(await connect(socketUrl, 'http://localhost:9999')).toEqual({ kind: 'refused', status: 403 });
    expect(await connect(socketUrl, undefined)).toEqual({ kind: 'refused', status: 403 });
  });

  it('closes a socket whose first message lacks the page token', async () => {
    const wrong = await connect(socketUrl, origin, { type: 'hello', token: 'x'.repeat(43) });
    expect(wrong).toEqual({ kind: 'close', code: 1008 });
    const request = await connect(socketUrl, origin, { type: 'request', id: 1, method: 'session.get', params: {} });
    expect(request).toEqual({ kind: 'close', code: 1008 });
  });

  it('relays RPC to the real core once the page token is presented', async () => {
    const token = tokenOf(await (await fetch(host.url)).text());
    const hello = await connect(socketUrl, origin, { type: 'hello', token });
    if (hello.kind !== 'message') throw new Error(`expected ready, got ${JSON.stringify(hello)}`);
    expect(hello.frame).toEqual({ type: 'ready' });
    const ws = hello.ws;
    const answer = (frame: unknown) =>
      new Promise<any>((resolve) => {
        ws.once('message', (data) => resolve(JSON.parse(String(data))));
        ws.send(JSON.stringify(frame));
      });
    const session = await answer({ type: 'request', id: 7, method: 'session.get', params: {} });
    expect(session).toMatchObject({ type: 'response', id: 7, ok: true, result: { user: null } });
    const bad = await answer({ type: 'request', id: 8, method: 'bookings.list', params: { eventId: 'e' } });
    expect(bad).toMatchObject({ type: 'response', id: 8, ok: false, error: { code: 'VALIDATION_FAILED' } });
    const malformed = await answer({ type: 'request', id: 9, method: 'session.get', params: {}, extra: 1 });
    expect(malformed).toMatchObject({ id: 9, ok: false, error: { code: 'VALIDATION_FAILED' } });
    ws.close();
  });
});
