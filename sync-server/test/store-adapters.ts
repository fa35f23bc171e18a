import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Store } from '../src/store/port';
import { inject } from 'vitest';
import { openMongoStore } from '../src/store/mongodb/index';
import { openSqliteStore } from '../src/store/sqlite/index';

/** One storage adapter under the contract suite: `open` gives a fresh, empty store each call. */
export type AdapterCase = { name: string; open: () => Promise<Store> };

/** A new SQLite file in its own temporary directory, removed when the store is closed. */
export const SQLITE_ADAPTER: AdapterCase = {
  name: 'sqlite',
  open: async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'gatehouse-store-'));
    const store = await openSqliteStore({ file: path.join(directory, 'gatehouse.db') });
    return {
      ...store,
      close: async () => {
        await store.close();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
};

/** A fresh database on the run's MongoDB (FerretDB here; see tests/setup/mongo-global.ts). */
export const MONGODB_ADAPTER: AdapterCase = {
  name: 'mongodb',
  open: () => openMongoStore({ uri: inject('mongoUri'), dbName: `store_${randomBytes(6).toString('hex')}` }),
};

export const STORE_ADAPTERS: AdapterCase[] = [SQLITE_ADAPTER, MONGODB_ADAPTER];
