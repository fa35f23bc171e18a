import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveAppAsset, serveAppRequest, withPageMeta } from '../security/app-protocol';

/** A real renderer folder next to a secret file that no request may reach. */
let base: string;
let root: string;
beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'gatehouse-app-protocol-'));
  root = path.join(base, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(
    path.join(root, 'index.html'),
    '<!doctype html><html><head><title>Gatehouse</title></head><body></body></html>',
  );
  writeFileSync(path.join(root, 'assets', 'index-abc.js'), 'console.log("app")');
  writeFileSync(path.join(base, 'secret.txt'), 'TOP SECRET');
  writeFileSync(path.join(base, 'secret.js'), 'TOP SECRET');
  symlinkSync(path.join(base, 'secret.js'), path.join(root, 'assets', 'link.js'));
});

describe('resolveAppAsset', () => {
  it('maps app URLs to files under the root, client routes to index.html', () => {
    expect(resolveAppAsset('app://gatehouse/assets/index-abc.js', root)).toEqual({
      kind: 'file',
      filePath: path.join(root, 'assets', 'index-abc.js'),
      mimeType: 'text/javascript; charset=utf-8',
    });
    for (const url of [
      'app://gatehouse/',
      'app://gatehouse/index.html',
      'app://gatehouse/checkin/ev-1',
      'app://gatehouse/#/events',
    ]) {
      expect(resolveAppAsset(url, root)).toMatchObject({ kind: 'file', filePath: path.join(root, 'index.html') });
    }
  });

  it.each([
    'app://gatehouse/..%2fsecret.txt',
    'app://gatehouse/assets/..%2f..%2fsecret.txt',
    'app://gatehouse/%2e%2e%2fsecret.txt',
    'app://gatehouse/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    'app://gatehouse/..%5csecret.txt',
    'app://gatehouse/assets%5c..%5c..%5csecret.txt',
    'app://gatehouse/index.html%00.js',
    'app://gatehouse/%00',
    'app://gatehouse/C:%5cWindows%5cwin.ini',
    'app://gatehouse/c:/Windows/win.ini',
    'app://gatehouse/~/.ssh/id_rsa',
    'app://gatehouse/%E0%A4%A',
  ])('forbids %s', (url) => {
    expect(resolveAppAsset(url, root).kind).toBe('forbidden');
  });

  it('resolves literal dot segments inside the root (the URL parser folds them before we see them)', () => {
    // `new URL` turns these into /secret.txt etc., which are looked up *inside* the root.
    for (const url of [
      'app://gatehouse/../secret.txt',
      'app://gatehouse/%2e%2e/secret.txt',
      'app://gatehouse/assets/../../../secret.txt',
    ]) {
      const resolution = resolveAppAsset(url, root);
      expect(resolution).toEqual({
        kind: 'file',
        filePath: path.join(root, 'secret.txt'),
        mimeType: 'text/plain; charset=utf-8',
      });
    }
  });

  it('forbids other origins and schemes, even with an absolute path', () => {
    for (const url of [
      'file:///etc/passwd',
      'app://evil/index.html',
      'https://gatehouse/index.html',
      'app:///etc/passwd',
      'app://gatehouse:1/x.js',
    ]) {
      expect(resolveAppAsset(url, root).kind).toBe('forbidden');
    }
  });

  it('answers not found for unknown file types instead of serving them', () => {
    expect(resolveAppAsset('app://gatehouse/data.db', root).kind).toBe('notFound');
  });
});

describe('serveAppRequest', () => {
  it('serves the page with the CSP and hardening headers', async () => {
    const response = await serveAppRequest({ url: 'app://gatehouse/index.html', method: 'GET' }, root);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<title>Gatehouse</title>');
  });

  it('never returns the secret next to the root', async () => {
    for (const url of [
      'app://gatehouse/..%2fsecret.txt',
      'app://gatehouse/%2e%2e%2fsecret.txt',
      'app://gatehouse/..%5csecret.txt',
      'app://gatehouse/../secret.txt',
      'app://gatehouse/assets/link.js',
    ]) {
      const response = await serveAppRequest({ url, method: 'GET' }, root);
      expect([403, 404]).toContain(response.status);
      expect(await response.text()).not.toContain('TOP SECRET');
    }
  });

  it('refuses methods other than GET and HEAD', async () => {
    const response = await serveAppRequest({ url: 'app://gatehouse/index.html', method: 'POST' }, root);
    expect(response.status).toBe(405);
  });

  it('adds page meta tags, escaped', async () => {
    const response = await serveAppRequest({ url: 'app://gatehouse/', method: 'GET' }, root, {
      pageMeta: { 'gatehouse-server-url': 'http://127.0.0.1:4000/"><script>' },
    });
    const html = await response.text();
    expect(html).toContain(
      '<head><meta name="gatehouse-server-url" content="http://127.0.0.1:4000/&quot;&gt;&lt;script&gt;" />',
    );
    expect(withPageMeta('<head>', {})).toBe('<head>');
  });
});
