/**
 * `npm run dist`: builds the renderer and the bundles, then packages with electron-builder
 * (electron-builder.yml; extra arguments are passed through, e.g. `npm run dist -- --linux --dir`).
 * electron-builder downloads the Electron release for each target and rebuilds better-sqlite3 for
 * Electron's ABI; on a machine without network it stops at that download (see README).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildBundles } from './build-bundles';
import { REPO_ROOT } from './layout';

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`${path.basename(command)} ${args.join(' ')} failed (${result.status ?? result.signal})`);
}

async function main(): Promise<void> {
  const bin = (name: string) => path.join(REPO_ROOT, 'node_modules', '.bin', name);
  run(bin('vite'), ['build', 'renderer']);
  await buildBundles({ minify: true });
  run(bin('electron-builder'), ['--config', 'electron-builder.yml', ...process.argv.slice(2)]);
  // electron-builder rebuilt the hoisted better-sqlite3 for Electron's ABI; put Node's build back so
  // `npm test` and the browser host keep working in this checkout.
  run('npm', ['rebuild', 'better-sqlite3']);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
