import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Node arguments that run a TypeScript entry point in a child process, as `npx tsx` would. */
export function tsxNodeArgs(entry: string): string[] {
  return ['--import', 'tsx', entry];
}
