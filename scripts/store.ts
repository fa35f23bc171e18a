/**
 * Which store a local run of the sync server uses (DESIGN §2), decided in one place for `npm start`,
 * `npm run desktop` and the bench:
 *   - MONGODB_URI set: that MongoDB (a replica set, Atlas);
 *   - GATEHOUSE_STORE=mongodb without a URI: a local FerretDB (scripts/mongo.ts; built with Go once);
 *   - otherwise the embedded SQLite store under the data folder: Node alone, nothing to start.
 * It returns the environment the server's configuration needs and how to stop what it started.
 */
import path from 'node:path';
import { startMongo } from './mongo';

export type LocalStore = {
  kind: 'sqlite' | 'mongodb';
  /** Variables to add to the server's environment (MONGODB_URI for MongoDB; none for SQLite). */
  env: Record<string, string>;
  /** One line for the console: which store, and where. */
  describe: string;
  stop: () => Promise<void>;
};

export async function prepareStore(options: {
  dataDir: string;
  store?: 'sqlite' | 'mongodb';
  log?: (line: string) => void;
}): Promise<LocalStore> {
  const wanted =
    options.store ?? (process.env.MONGODB_URI || process.env.GATEHOUSE_STORE === 'mongodb' ? 'mongodb' : 'sqlite');
  if (wanted === 'sqlite') {
    if (process.env.MONGODB_URI) throw new Error('MONGODB_URI is set: unset it to use the embedded SQLite store');
    const file = path.join(options.dataDir, 'gatehouse.db');
    return { kind: 'sqlite', env: {}, describe: `SQLite (embedded) at ${file}`, stop: async () => {} };
  }
  const mongo = await startMongo({ dataDir: options.dataDir, ...(options.log ? { log: options.log } : {}) });
  return {
    kind: 'mongodb',
    env: { MONGODB_URI: mongo.uri },
    describe: `MongoDB: ${mongo.describe}`,
    stop: () => mongo.stop(),
  };
}
