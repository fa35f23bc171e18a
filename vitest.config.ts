import { defineConfig } from 'vitest/config';

const LOAD_TESTS = 'sync-server/test/sync-concurrency.int.test.ts';

/**
 * Four projects: `unit` (pure code, no services), `integration` (real FerretDB, real HTTP, real
 * SQLite files), `load` (P3 at full size, alone) and `e2e` (Chromium). Integration files end in `.int.test.ts`, e2e in `.e2e.test.ts`.
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
          globalSetup: ['tests/setup/mongo-global.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Two cores: files run two at a time, each against its own database.
          maxWorkers: 2,
        },
      },
      {
        // P3 at the size loads both cores and the database for minutes: run alone, so it
        // neither starves the timing-sensitive tests (SMTP timeouts) nor is starved by them.
        test: {
          name: 'load',
          include: [LOAD_TESTS],
          globalSetup: ['tests/setup/mongo-global.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: 1,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.e2e.test.ts'],
          globalSetup: ['tests/setup/mongo-global.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
