/**
 * `npm run desktop`: Electron against a running sync server (GATEHOUSE_SERVER_URL, default
 * http://127.0.0.1:4000) or, when none answers, a local one started here with demo data.
 *
 * Without the Electron binary it first tries the download (where a network allows; skipped with
 * ELECTRON_SKIP_BINARY_DOWNLOAD=1), then exits with code 2 and says how to use the browser host.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildBundles } from '../electron/main/tooling/build-bundles';
import { betterSqlite3ForElectron } from '../electron/main/tooling/electron-native';
import { ELECTRON_MISSING_MESSAGE, findElectronBinary, REPO_ROOT } from '../electron/main/tooling/layout';

const DOWNLOAD_TIMEOUT_MS = 180_000;

function ensureElectronBinary(): string | null {
  const found = findElectronBinary();
  if (found || process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return found;
  console.log('Electron binary not found; trying to download it…');
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'electron', 'install.js')], {
    stdio: 'inherit',
    timeout: DOWNLOAD_TIMEOUT_MS,
  });
  if (result.status !== 0) console.log('The Electron download failed.');
  return findElectronBinary();
}

async function isServerUp(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/health', baseUrl), { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts the sync server on its store with demo data in this process, like `npm start` does. */
async function startLocalServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  // Loaded only when needed, so the "Electron is missing" answer never depends on the server code.
  const { prepareStore } = await import('./store');
  const { DEMO_ACCOUNTS, seedDemo } = await import('./seed');
  const { buildServer, loadConfig } = await import('@gatehouse/sync-server');
  const dataDir = path.resolve(process.env.GATEHOUSE_DATA_DIR ?? path.join(REPO_ROOT, '.data'));
  const store = await prepareStore({ dataDir, log: (line) => console.log(line) });
  const admin = DEMO_ACCOUNTS.find((account) => account.role === 'admin')!;
  const config = loadConfig({
    ...process.env,
    GATEHOUSE_DATA_DIR: dataDir,
    ...store.env,
    ADMIN_EMAIL: process.env.ADMIN_EMAIL ?? admin.email,
    ADMIN_PASSWORD: process.env.ADMIN_PASSWORD ?? admin.password,
  });
  const { app, ctx } = await buildServer(config);
  await seedDemo(ctx, { log: (line) => console.log(line) });
  await app.listen({ port: config.port, host: config.host });
  console.log('\nDemo accounts:');
  for (const account of DEMO_ACCOUNTS)
    console.log(`  ${account.role.padEnd(10)} ${account.email.padEnd(28)} ${account.password}`);
  return {
    url: `http://${config.host}:${config.port}`,
    stop: async () => {
      await app.close().catch(() => {});
      await store.stop();
    },
  };
}

async function main(): Promise<number> {
  const electron = ensureElectronBinary();
  if (!electron) {
    console.error(`\n${ELECTRON_MISSING_MESSAGE}`);
    return 2;
  }
  if (!existsSync(path.join(REPO_ROOT, 'renderer', 'dist', 'index.html'))) {
    console.log('Building the renderer…');
    const vite = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'renderer'],
      {
        cwd: REPO_ROOT,
        stdio: 'inherit',
      },
    );
    if (vite.status !== 0) return 1;
  }
  await buildBundles({ betterSqlite3Dir: await betterSqlite3ForElectron() });

  const wanted = process.env.GATEHOUSE_SERVER_URL ?? 'http://127.0.0.1:4000';
  const local = (await isServerUp(wanted)) ? null : await startLocalServer();
  const serverUrl = local?.url ?? wanted;
  console.log(`\nGatehouse desktop → sync server ${serverUrl}${local ? ' (started here)' : ''}`);

  const child = spawn(electron, [path.join(REPO_ROOT, 'electron', 'dist', 'main.cjs')], {
    stdio: 'inherit',
    env: { ...process.env, GATEHOUSE_SERVER_URL: serverUrl, GATEHOUSE_DEV: '1' },
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (exitCode) => resolve(exitCode ?? 1)));
  await local?.stop();
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
