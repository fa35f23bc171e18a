import path from 'node:path';
import { build } from 'esbuild';
import { NODE_BUNDLE_OPTIONS } from '../../electron/main/tooling/build-bundles';
import { ROOT } from './paths';

/**
 * Bundles the bench's device agent (scripts/bench/device-agent.ts, with the desktop core it opens)
 * into `<outDir>/device-agent.cjs` with the options the app's own core bundle is built with
 * (`npm run build:electron`): the bench's devices then run the code the product ships, as plain
 * JavaScript, rather than TypeScript transformed on load by tsx. Takes well under a second.
 * Returns the bundle's path.
 */
export async function buildDeviceAgent(outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'device-agent.cjs');
  await build({
    ...NODE_BUNDLE_OPTIONS,
    // Device profiles (BENCH_PROFILE_DEVICES) name the TypeScript sources.
    sourcemap: 'linked',
    entryPoints: [path.join(ROOT, 'scripts/bench/device-agent.ts')],
    outfile,
  });
  return outfile;
}

/** The environment a bundle outside the repository needs: better-sqlite3 (external) from its node_modules. */
export function agentBundleEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
}
