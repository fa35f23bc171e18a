import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository paths the desktop tooling works with. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const ELECTRON_DIR = path.join(REPO_ROOT, 'electron');
export const BUNDLE_DIR = path.join(ELECTRON_DIR, 'dist');
export const RENDERER_DIST = path.join(REPO_ROOT, 'renderer', 'dist');
export const CORE_ENTRY = path.join(ELECTRON_DIR, 'core', 'process.ts');

/**
 * The Electron executable if `npm install` could download it, else null. (node_modules/electron's
 * index.js throws in that case; we only read the same files it reads.)
 */
export function findElectronBinary(root: string = REPO_ROOT): string | null {
  const packageDir = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const executable = path.join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(executable) ? executable : null;
}

export const ELECTRON_MISSING_MESSAGE = [
  'Electron binary is missing: node_modules/electron has no downloaded Electron (no network to fetch it).',
  'Use the browser host instead — the same app and core, in Chromium on localhost:',
  '    npm start            (falls back to the browser host when Electron is absent)',
  'Where a network is available, fetch Electron with:  node node_modules/electron/install.js',
].join('\n');
