import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extractFile, listPackage } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBundles } from '../tooling/build-bundles';
import { REPO_ROOT } from '../tooling/layout';

/**
 * A real `electron-builder --linux --dir` run with the repository's electron-builder.yml, offline.
 * Electron's release zip cannot be downloaded here, so electron-builder is given a stand-in Electron
 * distribution whose executable carries Electron's fuse wire (sentinel + version + 8 fuses in their
 * default states); everything else — bundling, file selection, asar, asarUnpack, node_modules
 * collection and fuse flipping — is electron-builder's real work. Only `npmRebuild` is turned off (it
 * needs Electron's headers from the network).
 */
/** Electron's fuse wire marker and states ('0' disabled, '1' enabled), as @electron/fuses reads them. */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FuseState = { DISABLE: '0'.charCodeAt(0), ENABLE: '1'.charCodeAt(0) };

let appDir: string;
let asarPath: string;
let asarFiles: string[];

beforeAll(async () => {
  await buildBundles({ requireRenderer: false });

  const fakeElectron = mkdtempSync(path.join(tmpdir(), 'gatehouse-fake-electron-'));
  const defaultFuses = Buffer.from('10110001'); // RunAsNode on, cookies plain, NODE_OPTIONS on, inspect on, …
  writeFileSync(
    path.join(fakeElectron, 'electron'),
    Buffer.concat([
      Buffer.from('#!/bin/sh\nexit 0\n#'),
      Buffer.from(SENTINEL),
      Buffer.from([1, defaultFuses.length]),
      defaultFuses,
    ]),
  );
  chmodSync(path.join(fakeElectron, 'electron'), 0o755);
  mkdirSync(path.join(fakeElectron, 'resources'));
  writeFileSync(path.join(fakeElectron, 'version'), '41.7.1');
  writeFileSync(path.join(fakeElectron, 'LICENSE'), '');
  writeFileSync(path.join(fakeElectron, 'LICENSES.chromium.html'), '');

  const output = mkdtempSync(path.join(tmpdir(), 'gatehouse-release-'));
  const result = spawnSync(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'electron-builder'),
    [
      '--config',
      'electron-builder.yml',
      '--linux',
      '--dir',
      `-c.electronDist=${fakeElectron}`,
      '-c.npmRebuild=false',
      `-c.directories.output=${output}`,
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000, env: { ...process.env, CI: '1' } },
  );
  if (result.status !== 0) throw new Error(`electron-builder failed:\n${result.stdout}\n${result.stderr}`);
  appDir = path.join(output, 'linux-unpacked');
  asarPath = path.join(appDir, 'resources', 'app.asar');
  asarFiles = listPackage(asarPath, { isPack: false });
}, 300_000);

describe('packaged app (electron-builder --dir)', () => {
  it('holds the three bundles and the package.json that points at main', () => {
    expect(asarFiles).toEqual(
      expect.arrayContaining(['/dist/main.cjs', '/dist/preload.cjs', '/dist/core.cjs', '/package.json']),
    );
    const manifest = JSON.parse(extractFile(asarPath, 'package.json').toString('utf8'));
    expect(manifest).toMatchObject({ main: 'dist/main.cjs', productName: 'Gatehouse' });
  });

  it('ships no sources, source maps or test files', () => {
    const ours = asarFiles.filter((file) => !file.startsWith('/node_modules'));
    expect(ours.filter((file) => /\.(ts|tsx|map)$/.test(file) || file.includes('/test/'))).toEqual([]);
    expect(ours.some((file) => file.startsWith('/core/') || file.startsWith('/main/'))).toBe(false);
  });

  it('includes the renderer when it was built', () => {
    const rendererBuilt = existsSync(path.join(REPO_ROOT, 'renderer', 'dist', 'index.html'));
    expect(asarFiles.includes('/dist/renderer/index.html')).toBe(rendererBuilt);
  });

  it('unpacks better-sqlite3’s native addon from the asar', () => {
    expect(
      existsSync(
        path.join(
          appDir,
          'resources',
          'app.asar.unpacked',
          'node_modules',
          'better-sqlite3',
          'build',
          'Release',
          'better_sqlite3.node',
        ),
      ),
    ).toBe(true);
    expect(asarFiles).toContain('/node_modules/better-sqlite3/lib/index.js');
  });

  it('flips the fuses in the packaged executable', async () => {
    const wire = await getCurrentFuseWire(path.join(appDir, 'gatehouse'));
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FuseState.DISABLE);
  });
});
