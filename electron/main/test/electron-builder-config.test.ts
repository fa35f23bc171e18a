import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import type { Configuration } from 'app-builder-lib';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';
import { shellPaths } from '../paths';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** electron-builder's own loader (YAML parse) and JSON-schema validation, offline. */
async function loadConfig(): Promise<Configuration> {
  // A copy: validation normalizes (mutates) the object it is given.
  return structuredClone(await getConfig(REPO_ROOT, path.join(REPO_ROOT, 'electron-builder.yml'), null));
}

const targetsOf = (platform: Configuration['linux'] | Configuration['win'] | Configuration['mac']) =>
  (platform?.target as string[] | undefined) ?? [];

describe('electron-builder.yml', () => {
  // The first validation compiles electron-builder's JSON schema, which takes a few seconds.
  it('passes electron-builder’s schema validation', { timeout: 60_000 }, async () => {
    await expect(validateConfiguration(await loadConfig(), new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('the same validation rejects a misspelt option (the check can fail)', { timeout: 60_000 }, async () => {
    const broken = { ...(await loadConfig()), electronFuse: { runAsNode: false } } as Configuration;
    await expect(validateConfiguration(broken, new DebugLogger(false))).rejects.toThrow(/electronFuse/);
  });

  it('names the app and builds AppImage + deb, nsis and dmg', async () => {
    const config = await loadConfig();
    expect(config.appId).toBe('org.gatehouse.desktop');
    expect(config.productName).toBe('Gatehouse');
    expect(targetsOf(config.linux)).toEqual(['AppImage', 'deb']);
    expect(targetsOf(config.win)).toEqual(['nsis']);
    expect(targetsOf(config.mac)).toEqual(['dmg']);
  });

  it('sets every security fuse', async () => {
    expect((await loadConfig()).electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packages the bundles from electron/dist into an asar, better-sqlite3 unpacked and rebuilt', async () => {
    const config = await loadConfig();
    expect(config.directories?.app).toBe('electron');
    // electron-builder normalizes `files` to [{ filter: [...] }].
    const patterns = ([config.files].flat() as Array<string | { filter?: string | string[] }>).flatMap((entry) =>
      typeof entry === 'string' ? [entry] : [entry.filter ?? []].flat(),
    );
    expect(patterns).toEqual(['dist/**', '!dist/**/*.map', 'package.json']);
    expect(config.asar).toBe(true);
    expect(config.npmRebuild).toBe(true);
    expect(config.asarUnpack).toContain('**/node_modules/better-sqlite3/**/*.node');
    expect(config.publish).toBeNull();
    // The entry point and the paths main computes agree with what the bundler writes.
    expect((config.extraMetadata as { main: string }).main).toBe('dist/main.cjs');
    const dist = path.join(REPO_ROOT, 'electron', 'dist');
    expect(shellPaths(dist)).toEqual({
      preload: path.join(dist, 'preload.cjs'),
      core: path.join(dist, 'core.cjs'),
      rendererRoot: path.join(dist, 'renderer'),
    });
  });
});
