/**
 * Bundles main, preload and core into electron/dist/*.cjs with esbuild, and copies the built renderer
 * to electron/dist/renderer, so electron/ alone is the packaged app folder (see electron-builder.yml).
 * better-sqlite3 stays external (a native module, rebuilt for Electron by electron-builder and unpacked
 * from the asar); everything else, protocol and zod included, is inlined.
 */
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { BUNDLE_DIR, CORE_ENTRY, ELECTRON_DIR, RENDERER_DIST } from './layout';

/** Makes `require('better-sqlite3')` point at an absolute folder (the Electron-ABI copy in development). */
function nativeModuleAt(name: string, dir: string): Plugin {
  return {
    name: `native-${name}`,
    setup(context) {
      context.onResolve({ filter: new RegExp(`^${name}$`) }, () => ({ path: dir, external: true }));
    },
  };
}

/**
 * How main, preload and core are bundled (esbuild): one CommonJS file each for Node, native and
 * optional modules left outside. The bench bundles its device agent with the same options
 * (scripts/bench/agent-bundle.ts), so the core it measures is the code the app ships.
 */
export const NODE_BUNDLE_OPTIONS = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  // The shipped app: answers are serialized, not re-checked against their schemas (rpc dispatcher).
  define: { 'process.env.NODE_ENV': '"production"' },
  external: ['electron', 'better-sqlite3', 'bufferutil', 'utf-8-validate'],
} as const satisfies BuildOptions;

export async function buildBundles(
  options: { minify?: boolean; requireRenderer?: boolean; betterSqlite3Dir?: string } = {},
): Promise<string[]> {
  if (!existsSync(CORE_ENTRY)) throw new Error(`Core entry ${CORE_ENTRY} does not exist yet.`);
  if (!existsSync(path.join(RENDERER_DIST, 'index.html')) && options.requireRenderer !== false) {
    throw new Error(
      `The renderer is not built (${RENDERER_DIST}/index.html missing): run \`npx vite build renderer\`.`,
    );
  }
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  mkdirSync(BUNDLE_DIR, { recursive: true });

  const common: BuildOptions = {
    ...NODE_BUNDLE_OPTIONS,
    minify: options.minify ?? false,
    plugins: options.betterSqlite3Dir ? [nativeModuleAt('better-sqlite3', options.betterSqlite3Dir)] : [],
  };
  const entries = {
    'main.cjs': path.join(ELECTRON_DIR, 'main', 'index.ts'),
    'preload.cjs': path.join(ELECTRON_DIR, 'preload', 'index.ts'),
    'core.cjs': CORE_ENTRY,
  };
  await Promise.all(
    Object.entries(entries).map(([outName, entry]) =>
      build({ ...common, entryPoints: [entry], outfile: path.join(BUNDLE_DIR, outName) }),
    ),
  );
  if (existsSync(RENDERER_DIST)) cpSync(RENDERER_DIST, path.join(BUNDLE_DIR, 'renderer'), { recursive: true });
  return Object.keys(entries).map((name) => path.join(BUNDLE_DIR, name));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  buildBundles({ minify: process.argv.includes('--minify') })
    .then((files) => console.log(`Built ${files.map((file) => path.relative(process.cwd(), file)).join(', ')}`))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
