import type { StoreConfig } from '../config';
import type { Store } from './port';

/** What an adapter may log while it opens and runs (pino's shape). */
export type StoreLog = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};

/**
 * Opens the configured store. Each adapter is imported only when chosen, so a SQLite server never
 * loads the MongoDB driver and the other way round.
 */
export async function openStore(
  config: StoreConfig,
  log: StoreLog,
  options: { watchPollMs?: number } = {},
): Promise<Store> {
  if (config.kind === 'sqlite') {
    const { openSqliteStore } = await import('./sqlite/index');
    return openSqliteStore({ file: config.file, log });
  }
  const { openMongoStore } = await import('./mongodb/index');
  // The adapter logs what it detected of the database (its capabilities) as it opens.
  return openMongoStore({ uri: config.uri, dbName: config.dbName, log, ...options });
}
