import type { Db } from 'mongodb';
import type { MongoCapabilities } from './capabilities';
import type { ChangeLog } from './changelog';
import type { RowLock } from './row-lock';

/** What the adapter may log (pino's shape). */
export type MongoStoreLog = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};

/** What every repository of one open store shares. */
export type StoreContext = {
  db: Db;
  capabilities: MongoCapabilities;
  /** A no-op where updates are isolated (see RowLock). */
  rowLock: RowLock;
  changeLog: ChangeLog;
  log: MongoStoreLog;
};
