import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './layout';

/**
 * `npm run desktop` runs the bundles from the checkout, where node_modules/better-sqlite3 is built for
 * Node (tests and the browser host need it that way). Electron has another ABI, so a copy is rebuilt
 * for Electron once per Electron version under node_modules/.cache and the dev core bundle requires
 * that copy by absolute path. Packaged apps do not need this: electron-builder rebuilds their own copy.
 */
export function electronVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', 'electron', 'package.json'), 'utf8'));
  return String(manifest.version);
}

export async function betterSqlite3ForElectron(version: string = electronVersion()): Promise<string> {
  const buildPath = path.join(REPO_ROOT, 'node_modules', '.cache', 'gatehouse-electron-native', version);
  const moduleDir = path.join(buildPath, 'node_modules', 'better-sqlite3');
  if (existsSync(path.join(moduleDir, 'build', 'Release', 'better_sqlite3.node'))) return moduleDir;

  console.log(`Building better-sqlite3 for Electron ${version} (once)…`);
  const source = path.join(REPO_ROOT, 'node_modules', 'better-sqlite3');
  const sourceVersion = JSON.parse(readFileSync(path.join(source, 'package.json'), 'utf8')).version as string;
  mkdirSync(path.dirname(moduleDir), { recursive: true });
  cpSync(source, moduleDir, { recursive: true, filter: (file) => !file.includes(`${path.sep}build${path.sep}`) });
  writeFileSync(
    path.join(buildPath, 'package.json'),
    JSON.stringify({
      name: 'gatehouse-electron-native',
      private: true,
      dependencies: { 'better-sqlite3': sourceVersion },
    }),
  );
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({ buildPath, electronVersion: version, onlyModules: ['better-sqlite3'], force: true });
  return moduleDir;
}
