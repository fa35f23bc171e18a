/**
 * Child-process entry of the peer's server: PouchDB 9 (LevelDB) behind express-pouchdb 4 on
 * loopback, in the mode a PouchDB client needs (`minimumForPouchDB`). Its data folder is argv[2].
 * Driven by scripts/bench/peer/index.ts over IPC.
 */
import { createReadStream, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import expressPouchdb from 'express-pouchdb';
import PouchDB from 'pouchdb';
import { serveAgent } from './agent';
import type { PeerServerCommand } from './protocol';

const SEED_CHUNK = 5_000;
const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: server-main.ts <dataDir>');
mkdirSync(dataDir, { recursive: true });
const LocalPouch = PouchDB.defaults({ prefix: `${path.resolve(dataDir)}/` });
let http: Server | null = null;
const databases = new Map<string, PouchDB.Database>();
const database = (name: string) => {
  let db = databases.get(name);
  if (!db) {
    db = new LocalPouch(name);
    databases.set(name, db);
  }
  return db;
};

/** Writes the docs of a JSON-lines file into the database directly (not over HTTP): set-up, not measured. */
async function seed(name: string, file: string): Promise<number> {
  const db = database(name);
  let chunk: PouchDB.Doc[] = [];
  let written = 0;
  const flush = async () => {
    const results = await db.bulkDocs(chunk);
    const failed = results.filter((result) => result.error);
    if (failed.length > 0) throw new Error(`seeding failed: ${JSON.stringify(failed[0])}`);
    written += chunk.length;
    chunk = [];
  };
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (!line) continue;
    chunk.push(JSON.parse(line) as PouchDB.Doc);
    if (chunk.length >= SEED_CHUNK) await flush();
  }
  if (chunk.length > 0) await flush();
  return written;
}

serveAgent<PeerServerCommand>(async (command) => {
  switch (command.kind) {
    case 'ping':
      return { pid: process.pid };
    case 'listen': {
      database(command.db);
      const app = expressPouchdb(LocalPouch, {
        mode: 'minimumForPouchDB',
        logPath: path.join(dataDir, 'express-pouchdb.log'),
        inMemoryConfig: true,
      });
      return new Promise<{ port: number }>((resolve) => {
        http = app.listen(0, '127.0.0.1', () => {
          const address = http!.address();
          resolve({ port: typeof address === 'object' && address ? address.port : 0 });
        });
      });
    }
    case 'seed':
      return seed(command.db, command.file);
    case 'docCount':
      return (await database(command.db).info()).doc_count;
    case 'close':
      http?.closeAllConnections();
      http?.close();
      for (const db of databases.values()) await db.close().catch(() => undefined);
      setImmediate(() => process.exit(0));
      return true;
  }
});
