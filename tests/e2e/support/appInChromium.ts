import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { MemoryTokenStore } from '../../../electron/core/index';
import { startBrowserHost, type BrowserHost, type BrowserHostOptions } from '../../../electron/host/index';
import { afterAll, afterEach } from 'vitest';
import { launchChromium, screenshot } from './browser';

/** The app on one device, open in a Chromium page: what an e2e file drives, and how it ends. */
export type AppInChromium = {
  /** A temporary folder of this file's own (the device's data is under it); removed by `close`. */
  root: string;
  host: BrowserHost;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** For `afterEach`: a screenshot named after the test when it failed (`failed-<name>-<test>`). */
  screenshotIfFailed: (test: { task: { name: string; result?: { state?: string } } }) => Promise<void>;
  /** Closes page, browser and host and removes `root`; each step runs even if one before failed. */
  close: () => Promise<void>;
};

/**
 * Starts the browser host for one device (its data in a fresh temporary folder, tokens in memory,
 * the sign-in screen pre-filled with `serverUrl`), launches Chromium (with `chromiumArgs`, e.g. a
 * fake camera), and opens the app in a page at 1366×800 (or `context`) whose actions wait up to
 * 20 s. `name` names the temporary folder and the failure screenshots.
 */
export async function openAppInChromium(options: {
  name: string;
  serverUrl: string;
  /** The device's folder under `root` (default `device`). */
  deviceName?: string;
  core?: BrowserHostOptions['core'];
  chromiumArgs?: string[];
  context?: BrowserContextOptions;
  /** Browser permissions granted to the app's origin (e.g. `camera`). */
  permissions?: string[];
  /** Runs on the page before the app loads: e.g. a `routeWebSocket` that must see the RPC socket open. */
  beforeLoad?: (page: Page) => Promise<void>;
}): Promise<AppInChromium> {
  const root = mkdtempSync(path.join(tmpdir(), `gatehouse-e2e-${options.name}-`));
  const opened: Partial<AppInChromium> = { root };
  const close = async () => {
    await opened.context?.close().catch(() => undefined);
    await opened.browser?.close().catch(() => undefined);
    await opened.host?.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const host = await startBrowserHost({
      dataDir: path.join(root, options.deviceName ?? 'device'),
      tokenStore: new MemoryTokenStore(),
      serverUrl: options.serverUrl,
      ...(options.core ? { core: options.core } : {}),
    });
    opened.host = host;
    const browser = await launchChromium(options.chromiumArgs ?? []);
    opened.browser = browser;
    const context = await browser.newContext({ viewport: { width: 1366, height: 800 }, ...options.context });
    opened.context = context;
    if (options.permissions) await context.grantPermissions(options.permissions, { origin: host.url });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await options.beforeLoad?.(page);
    await page.goto(host.url);
    const screenshotIfFailed = async (test: { task: { name: string; result?: { state?: string } } }) => {
      if (test.task.result?.state !== 'fail') return;
      const what = test.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
      await screenshot(page, `failed-${options.name}-${what}`).catch(() => undefined);
    };
    return { root, host, browser, context, page, screenshotIfFailed, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Registers, in the calling `describe`, the hooks a one-device e2e file ends with: a screenshot of
 * `app()` after each failed test, and after all tests closing the app, then each of `others()` (e.g.
 * the test server) in order, each even if one before failed. Getters, because the hooks run after
 * `beforeAll` has opened them.
 */
export function closeAfterTests(
  app: () => AppInChromium | undefined,
  ...others: Array<() => { close: () => Promise<void> } | undefined>
): void {
  afterEach((test) => app()?.screenshotIfFailed(test));
  afterAll(async () => {
    await app()?.close();
    for (const other of others)
      await other()
        ?.close()
        .catch(() => undefined);
  });
}
