/**
 * `npm test`: every step — type checking, lint, unit, integration on both stores, load, end-to-end —
 * stopping after the first stage with a failure, and printing how long each step took, so CI's
 * output shows where the 15-minute budget goes. `npm test -- --from integration` resumes at a step.
 *
 * Steps run in stages. The steps of one stage run side by side: type checking and lint are each one
 * single-threaded process, so one after the other they left CI's second core idle; side by side
 * (with the renderer's build for e2e) both cores stay busy. Each side-by-side step's output is held
 * and printed whole when it ends, so the log still reads one step at a time. The test projects
 * after them each use both cores themselves, so they run one after another: unit beside the first
 * stage timed out two CPU-heavy tests (5 s default timeout) with four busy processes on two cores.
 */
import { spawn, spawnSync } from 'node:child_process';

type Step = { name: string; command: string };

const STAGES: Step[][] = [
  [
    { name: 'typecheck', command: 'npm run typecheck' },
    { name: 'lint', command: 'npm run lint' },
    // The e2e step's page is the built renderer; building it here uses the first stage's idle time.
    { name: 'build-renderer', command: 'npm run build:renderer' },
  ],
  [{ name: 'unit', command: 'npx vitest run --project unit' }],
  [{ name: 'integration', command: 'npx vitest run --project integration' }],
  [{ name: 'integration-mongodb', command: 'npx vitest run --project integration-mongodb' }],
  [{ name: 'load', command: 'npx vitest run --project load' }],
  [{ name: 'load-mongodb', command: 'npx vitest run --project load-mongodb' }],
  [{ name: 'e2e', command: 'npx vitest run --project e2e' }],
];
/** The e2e step alone (resumed with --from past the first stage) builds the renderer itself. */
const E2E_WITH_BUILD = 'npm run test:e2e';
const STEP_NAMES = STAGES.flat().map((step) => step.name);

type Outcome = { step: Step; status: number; seconds: number };

/** Runs one step with its output straight to ours (a stage of one step: the log streams live). */
function runInline(step: Step): Promise<Outcome> {
  console.log(`\n=== ${step.name}: ${step.command}`);
  const started = Date.now();
  const result = spawnSync(step.command, { shell: true, stdio: 'inherit' });
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`=== ${step.name}: ${result.status === 0 ? 'passed' : 'FAILED'} in ${seconds} s`);
  return Promise.resolve({ step, status: result.status ?? 1, seconds });
}

/** Runs one step beside others, holding its output (stdout and stderr in order) until it ends. */
function runHeld(step: Step): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(step.command, {
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Tools that colour a terminal's output see a pipe here; keep CI's log as it was.
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? (process.stdout.isTTY ? '1' : '0') },
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    const finish = (status: number) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      console.log(`\n=== ${step.name}: ${step.command}`);
      process.stdout.write(Buffer.concat(chunks));
      console.log(`=== ${step.name}: ${status === 0 ? 'passed' : 'FAILED'} in ${seconds} s`);
      resolve({ step, status, seconds });
    };
    child.once('error', (error) => {
      chunks.push(Buffer.from(`${error.message}\n`));
      finish(1);
    });
    child.once('close', (code, signal) => finish(code ?? (signal ? 1 : 0)));
  });
}

const fromIndex = process.argv.indexOf('--from');
const fromName = fromIndex === -1 ? STEP_NAMES[0] : process.argv[fromIndex + 1];
const from = STEP_NAMES.indexOf(fromName ?? '');
if (from < 0) {
  console.error(`--from takes one of: ${STEP_NAMES.join(', ')}`);
  process.exit(2);
}

const timings: string[] = [];
const started = Date.now();
for (const stage of STAGES) {
  const steps = stage
    .filter((step) => STEP_NAMES.indexOf(step.name) >= from)
    .map((step) =>
      step.name === 'e2e' && from > STEP_NAMES.indexOf('build-renderer') ? { ...step, command: E2E_WITH_BUILD } : step,
    );
  if (steps.length === 0) continue;
  if (steps.length > 1) console.log(`\n=== side by side: ${steps.map((step) => step.name).join(', ')}`);
  const stageStarted = Date.now();
  const outcomes = await Promise.all(steps.map((step) => (steps.length === 1 ? runInline(step) : runHeld(step))));
  for (const outcome of outcomes) timings.push(`${outcome.step.name} ${outcome.seconds} s`);
  if (steps.length > 1) {
    const seconds = Math.round((Date.now() - stageStarted) / 1000);
    timings.push(`(side by side ${seconds} s)`);
    console.log(`=== side by side: ${steps.map((step) => step.name).join(', ')} took ${seconds} s`);
  }
  const failed = outcomes.filter((outcome) => outcome.status !== 0);
  if (failed.length > 0) {
    console.log(`\n=== FAILED: ${failed.map((outcome) => outcome.step.name).join(', ')} (output above)`);
    console.log(`=== step times: ${timings.join(', ')}`);
    process.exit(failed[0]!.status);
  }
}
console.log(`\n=== step times: ${timings.join(', ')}; total ${Math.round((Date.now() - started) / 1000)} s`);
