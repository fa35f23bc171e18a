import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  buildServer,
  loadConfig,
  type BuiltServer,
  type RunningConfig,
  type ServerConfig,
} from '@gatehouse/sync-server';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

export type TestServer = BuiltServer & {
  baseUrl: string;
  config: RunningConfig;
  close: () => Promise<void>;
};

/** Cheaper password hashing for tests that create many users; production stays at OWASP's 2^17. */
export const TEST_SCRYPT_COST = 2 ** 12;

/** The store the integration tests run on: `sqlite` (default) or `mongodb` (the run's FerretDB). */
export type TestStoreKind = 'sqlite' | 'mongodb';

export function testStoreKind(): TestStoreKind {
  return process.env.GATEHOUSE_TEST_STORE === 'mongodb' ? 'mongodb' : 'sqlite';
}

/**
 * A real sync server on a loopback port, on a store of its own: a fresh SQLite file, or a fresh
 * database of the run's FerretDB (GATEHOUSE_TEST_STORE=mongodb). Pass `dataDir` (SQLite) or
 * `dbName` (MongoDB) to open an existing store again — on MongoDB also while another server
 * runs on it (several processes on one database); a SQLite file has one server at a time.
 */
export async function startTestServer(
  overrides: Partial<ServerConfig> & { dbName?: string; dataDir?: string; accessTtlSeconds?: number } = {},
): Promise<TestServer> {
  const { dbName, accessTtlSeconds, ...configOverrides } = overrides;
  const dataDir = overrides.dataDir ?? mkdtempSync(path.join(tmpdir(), 'gatehouse-server-'));
  const store =
    testStoreKind() === 'mongodb'
      ? { MONGODB_URI: inject('mongoUri'), MONGODB_DB: dbName ?? `t_${randomUUID().replace(/-/g, '').slice(0, 20)}` }
      : {};
  const base = loadConfig({
    ...store,
    GATEHOUSE_DATA_DIR: dataDir,
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
    LOG_LEVEL: 'silent',
    PORT: '0',
  });
  const config: ServerConfig = {
    ...base,
    scryptCost: TEST_SCRYPT_COST,
    ...configOverrides,
    jwt: { ...(configOverrides.jwt ?? base.jwt), ...(accessTtlSeconds ? { accessTtlSeconds } : {}) },
  };
  const built = await buildServer(config);
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const address = built.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { ...built, config: built.ctx.config, baseUrl: `http://127.0.0.1:${port}`, close: () => built.app.close() };
}

/** The MongoDB database a server used, to open another server on it (undefined on SQLite). */
export function reopenedDbName(server: TestServer): string | undefined {
  return server.config.store.kind === 'mongodb' ? server.config.store.dbName : undefined;
}
