import { defineConfig } from 'vitest/config';

const LOAD_TESTS = 'sync-server/test/sync-concurrency.int.test.ts';
/** The storage port's own suites: they open both adapters themselves, so they run once. */
const STORE_TESTS = 'sync-server/test/store-*.int.test.ts';
/** Tests whose subject is the server over HTTP, run once per store. */
const SERVER_TESTS = ['sync-server/test/**/*.int.test.ts', 'tests/sync/**/*.int.test.ts'];
const MONGO_SETUP = ['tests/setup/mongo-global.ts'];

/**
 * Projects: `unit` (pure code), `integration` (the real server over HTTP on the default SQLite
 * store, real SQLite files, the store contract on both adapters), `integration-mongodb` (the same
 * server tests on the MongoDB adapter against FerretDB, smaller sizes), `load` / `load-mongodb`
 * (P3 at full size, alone) and `e2e` (Chromium). Integration files end in `.int.test.ts`, e2e in
 * `.e2e.test.ts`. The store under test is GATEHOUSE_TEST_STORE (tests/support/server.ts).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{protocol,sync-server,electron,renderer,scripts,tests}/**/*.test.{ts,tsx}'],
          exclude: ['**/node_modules/**', '**/*.int.test.ts', '**/*.e2e.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{sync-server,electron,tests}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**', LOAD_TESTS],
          globalSetup: MONGO_SETUP,
          env: { GATEHOUSE_TEST_STORE: 'sqlite' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Two cores: files run two at a time, each against its own store.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'integration-mongodb',
          include: SERVER_TESTS,
          // P2 (kill -9 of a device or of a SQLite server), the device's initial-sync phases (30,000
          // bookings, kill -9 of the core), the SQLite → MongoDB migration and backup tests, and the
          // bench are about the device and the default store.
          exclude: [
            '**/node_modules/**',
            LOAD_TESTS,
            STORE_TESTS,
            'tests/sync/{p2,store}-*',
            'tests/sync/initial-sync-phases.int.test.ts',
            'tests/bench/**',
          ],
          globalSetup: MONGO_SETUP,
          // FerretDB answers a command in ≈1.3 ms: P4 gets fewer schedules here than the 50 on SQLite. (Its
          // old cost, ~7.6 s a schedule, was a server restart waiting 70 s on a keep-alive connection:
          // http/closing.ts. 10 schedules take ~17 s in CI, 20 ~34 s.)
          env: { GATEHOUSE_TEST_STORE: 'mongodb', P4_SCHEDULES: '10' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: 2,
        },
      },
      {
        // P3 at the size loads both cores for a while: run alone, so it neither starves
        // the timing-sensitive tests (SMTP timeouts) nor is starved by them.
        test: {
          name: 'load',
          include: [LOAD_TESTS],
          globalSetup: MONGO_SETUP,
          env: { GATEHOUSE_TEST_STORE: 'sqlite' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: 1,
        },
      },
      {
        test: {
          name: 'load-mongodb',
          include: [LOAD_TESTS],
          globalSetup: MONGO_SETUP,
          env: { GATEHOUSE_TEST_STORE: 'mongodb' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: 1,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.e2e.test.ts'],
          globalSetup: MONGO_SETUP,
          env: { GATEHOUSE_TEST_STORE: 'sqlite' },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two files at a time: each opens its own server (own store, port 0), browser host (own
          // temporary folder) and Chromium, and names its screenshots after itself. Most of a file's
          // time is waiting on the page, the server or a poll, not on the CPU.
          maxWorkers: 2,
        },
      },
    ],
  },
});
