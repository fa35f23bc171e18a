/**
 * `npm test`: every step in order — type checking, lint, unit, integration on both stores, load,
 * end-to-end — stopping at the first failure, and printing how long each step took, so CI's output
 * shows where the 15-minute budget goes. `npm test -- --from integration` resumes at a step.
 */
import { spawnSync } from 'node:child_process';

const STEPS: Array<{ name: string; command: string }> = [
  { name: 'typecheck', command: 'npm run typecheck' },
  { name: 'lint', command: 'npm run lint' },
  { name: 'unit', command: 'npx vitest run --project unit' },
  { name: 'integration', command: 'npx vitest run --project integration' },
  { name: 'integration-mongodb', command: 'npx vitest run --project integration-mongodb' },
  { name: 'load', command: 'npx vitest run --project load' },
  { name: 'load-mongodb', command: 'npx vitest run --project load-mongodb' },
  { name: 'e2e', command: 'npm run test:e2e' },
];

const fromIndex = process.argv.indexOf('--from');
const from = fromIndex === -1 ? 0 : STEPS.findIndex((step) => step.name === process.argv[fromIndex + 1]);
if (from < 0) {
  console.error(`--from takes one of: ${STEPS.map((step) => step.name).join(', ')}`);
  process.exit(2);
}

const timings: string[] = [];
const started = Date.now();
for (const step of STEPS.slice(from)) {
  console.log(`\n=== ${step.name}: ${step.command}`);
  const stepStarted = Date.now();
  const result = spawnSync(step.command, { shell: true, stdio: 'inherit' });
  const seconds = Math.round((Date.now() - stepStarted) / 1000);
  timings.push(`${step.name} ${seconds} s`);
  console.log(`=== ${step.name}: ${result.status === 0 ? 'passed' : 'FAILED'} in ${seconds} s`);
  if (result.status !== 0) {
    console.log(`\n=== step times: ${timings.join(', ')}`);
    process.exit(result.status ?? 1);
  }
}
console.log(`\n=== step times: ${timings.join(', ')}; total ${Math.round((Date.now() - started) / 1000)} s`);
