import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { MemoryTokenStore } from '../../electron/core/index';
import { startBrowserHost } from '../../electron/host/index';
import { buildBundles } from '../../electron/main/tooling/build-bundles';
import { ELECTRON_MISSING_MESSAGE, findElectronBinary, REPO_ROOT } from '../../electron/main/tooling/layout';
import { startTestServer } from '../support/server';
import { signInAs } from '../support/users';
import { signIn } from './support/app';

/**
 * The Electron window itself. Where the Electron binary exists (a machine where `npm install` could
 * download it), the app is launched with Playwright's `_electron` and a user signs in through the
 * real preload bridge, main-process relay and utility-process core. Where it does not, this file says
 * so loudly and proves the documented fallback instead: `npm run desktop` fails with the clear message
 * and the browser host serves the same app.
 */
const electronBinary = findElectronBinary();

if (electronBinary) {
  describe('Electron app', () => {
    it('launches hardened and signs in through the preload bridge', async () => {
      await buildBundles();
      const server = await startTestServer();
      const staff = await signInAs(server, 'staff', 'Elle Electron');
      const app = await electron.launch({
        executablePath: electronBinary,
        args: [path.join(REPO_ROOT, 'electron', 'dist', 'main.cjs')],
        env: {
          ...process.env,
          GATEHOUSE_USER_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gatehouse-electron-')),
          GATEHOUSE_SERVER_URL: server.baseUrl,
        },
        timeout: 60_000,
      });
      try {
        const page = await app.firstWindow();
        page.setDefaultTimeout(30_000);
        expect(page.url()).toMatch(/^app:\/\/gatehouse\//);
        // The page sees the bridge and nothing of Node or Electron.
        expect(
          await page.evaluate(() => Object.keys((window as unknown as { gatehouse: object }).gatehouse).sort()),
        ).toEqual(['invoke', 'subscribe']);
        expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
        expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
        // Main's view of the same window: one window, showing our app origin.
        const urls = await app.evaluate(({ BrowserWindow }) =>
          BrowserWindow.getAllWindows().map((window) => window.webContents.getURL()),
        );
        expect(urls).toHaveLength(1);
        expect(urls[0]).toMatch(/^app:\/\/gatehouse\//);
        // window.open is denied: no second window appears.
        await page.evaluate(() => window.open('https://evil.example/'));
        expect(app.windows()).toHaveLength(1);

        await signIn(page, { serverUrl: server.baseUrl, email: staff.user.email, password: staff.password });
        await expect(page.getByRole('navigation', { name: 'Main' }).isVisible()).resolves.toBe(true);
      } finally {
        await app.close();
        await server.close();
      }
    });
  });
} else {
  describe('Electron app (binary absent)', () => {
    it('reports the missing binary and proves the browser-host fallback', async () => {
      console.warn('Electron binary absent: smoke test of the real window not run (see README, "Desktop shell").');

      const desktop = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'desktop.ts')], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
      });
      expect(desktop.status).toBe(2);
      expect(desktop.stderr).toContain(ELECTRON_MISSING_MESSAGE);
      expect(desktop.stderr).toContain('npm start');

      // The fallback named in that message serves the same app, with the same strict CSP.
      expect(existsSync(path.join(REPO_ROOT, 'electron', 'host', 'cli.ts'))).toBe(true);
      const host = await startBrowserHost({
        dataDir: mkdtempSync(path.join(tmpdir(), 'gatehouse-fallback-')),
        tokenStore: new MemoryTokenStore(),
        log: () => {},
      });
      try {
        const response = await fetch(host.url);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
        expect(await response.text()).toContain('<div id="root">');
      } finally {
        await host.close();
      }
    });
  });
}
