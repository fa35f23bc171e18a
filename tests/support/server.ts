import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildServer, loadConfig, type BuiltServer, type ServerConfig } from '@gatehouse/sync-server';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

export type TestServer = BuiltServer & {
  baseUrl: string;
  config: ServerConfig;
  close: () => Promise<void>;
};

/** Cheaper password hashing for tests that create many users; production stays at OWASP's 2^17. */
export const TEST_SCRYPT_COST = 2 ** 12;

/**
 * A real sync server on a loopback port, on its own database of the run's FerretDB. Pass `dbName`
 * to start a second process-like server on the same data.
 */
export async function startTestServer(
  overrides: Partial<ServerConfig> & { dbName?: string; accessTtlSeconds?: number } = {},
): Promise<TestServer> {
  const { dbName, accessTtlSeconds, ...configOverrides } = overrides;
  const base = loadConfig({
    MONGODB_URI: inject('mongoUri'),
    MONGODB_DB: dbName ?? `t_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
    GATEHOUSE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gatehouse-server-')),
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
  return { ...built, config, baseUrl: `http://127.0.0.1:${port}`, close: () => built.app.close() };
}
