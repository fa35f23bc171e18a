import path from 'node:path';

/**
 * Where the bundles live, relative to the main bundle (electron/dist/main.cjs), the same in a
 * checkout and inside the packaged asar: electron/dist/{main,preload,core}.cjs with the renderer copied to electron/dist/renderer/.
 */
export function shellPaths(mainBundleDir: string) {
  return {
    preload: path.join(mainBundleDir, 'preload.cjs'),
    core: path.join(mainBundleDir, 'core.cjs'),
    rendererRoot: path.join(mainBundleDir, 'renderer'),
  };
}
