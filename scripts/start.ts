/**
 * `npm start`: the sync server on its store (embedded SQLite unless configured otherwise) with demo
 * data, and the app. Ctrl-C stops all of it.
 * The app is Electron where its binary is installed (`npm run desktop`), else the browser host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServer, loadConfig } from '@gatehouse/sync-server';
import { prepareStore } from './store';
import { DEMO_ACCOUNTS, seedDemo } from './seed';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.GATEHOUSE_DATA_DIR ?? path.join(ROOT, '.data'));
  const store = await prepareStore({ dataDir });
  const admin = DEMO_ACCOUNTS.find((account) => account.role === 'admin')!;
  const config = loadConfig({
    ...process.env,
    GATEHOUSE_DATA_DIR: dataDir,
    ...store.env,
    ADMIN_EMAIL: process.env.ADMIN_EMAIL ?? admin.email,
    ADMIN_PASSWORD: process.env.ADMIN_PASSWORD ?? admin.password,
  });
  const { app, ctx } = await buildServer(config);
  let stopApp: () => Promise<void> = async () => {};
  const stop = async (signal: string) => {
    console.log(`\n${signal}: stopping the app and the sync server…`);
    await stopApp().catch(() => {});
    await app.close().catch(() => {});
    await store.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await seedDemo(ctx, { log: (line) => console.log(line) });
  await app.listen({ port: config.port, host: config.host });
  const url = `http://${config.host}:${config.port}`;
  console.log(`\nGatehouse sync server: ${url}  (API docs: ${url}/docs)`);
  console.log(`Store: ${store.describe}`);
  console.log(`Email: ${ctx.mail.transport.describe}${config.smtpUrl ? '' : ' (set SMTP_URL to send for real)'}`);
  console.log('\nDemo accounts:');
  for (const account of DEMO_ACCOUNTS) {
    console.log(`  ${account.role.padEnd(10)} ${account.email.padEnd(28)} ${account.password}`);
  }
  stopApp = await startApp({ dataDir, serverUrl: url, onExit: () => void stop('app closed') });
  console.log('\nPress Ctrl-C to stop.');
}

/** Electron when its binary was downloaded at install; otherwise the same UI in a browser. */
async function startApp(options: {
  dataDir: string;
  serverUrl: string;
  onExit: () => void;
}): Promise<() => Promise<void>> {
  if (existsSync(path.join(ROOT, 'node_modules', 'electron', 'dist'))) {
    console.log('\nStarting the desktop app (npm run desktop)…');
    const child: ChildProcess = spawn('npm', ['run', 'desktop'], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, GATEHOUSE_SERVER_URL: options.serverUrl },
    });
    child.once('exit', options.onExit);
    return async () => {
      child.removeAllListeners('exit');
      child.kill('SIGTERM');
    };
  }
  if (process.env.GATEHOUSE_SKIP_RENDERER_BUILD !== '1') {
    console.log('\nNo Electron binary here: building the UI for the browser host…');
    const { build } = await import('vite');
    await build({ root: path.join(ROOT, 'renderer'), logLevel: 'warn' });
  }
  const { startBrowserHost } = await import('../electron/host/index');
  const port = process.env.GATEHOUSE_APP_PORT ? Number(process.env.GATEHOUSE_APP_PORT) : 0;
  const host = await startBrowserHost({
    dataDir: path.join(options.dataDir, 'browser-host'),
    port,
    serverUrl: options.serverUrl,
  });
  console.log(`\nGatehouse app (browser host): ${host.url}`);
  console.log('Open it in Chromium, Chrome, Edge or Firefox on this machine.');
  return host.close;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
