import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startMongo } from '../../scripts/mongo';

/** One database server for the whole run; every test file uses its own database name on it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-test-'));
  let mongo;
  try {
    mongo = await startMongo({ dataDir });
  } catch (error) {
    // Under CI a missing database fails the run; locally too — a skipped suite proves nothing.
    throw new Error(`Integration tests need a MongoDB-compatible server: ${(error as Error).message}`);
  }
  project.provide('mongoUri', mongo.uri);
  return async () => {
    await mongo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
