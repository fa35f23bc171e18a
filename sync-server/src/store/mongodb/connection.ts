import { MongoClient, type Db, type Document } from 'mongodb';
import { storeErrors } from '../errors';

export type Connection = { client: MongoClient; db: Db };

/** Hears each command the driver sends: its name (`find`, `insert`…) and its body (collection, filter…). */
export type CommandListener = (commandName: string, command: Document) => void;

/**
 * Connects with the official driver. `onCommand` (tests count commands with it) is wired to the driver's
 * command monitoring, which is switched on only then: it costs an event per command.
 */
export async function connectMongo(uri: string, dbName: string, onCommand?: CommandListener): Promise<Connection> {
  const client = new MongoClient(uri, {
    // Fail fast at start-up and in /ready rather than hanging a request for the driver's 30 s default.
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    maxPoolSize: 50,
    appName: 'gatehouse-sync-server',
    monitorCommands: onCommand !== undefined,
  });
  if (onCommand) client.on('commandStarted', (event) => onCommand(event.commandName, event.command));
  await client.connect();
  return { client, db: client.db(dbName) };
}

/** The URI without credentials or options, and the database: what a start-up log may print. */
export function locationOf(uri: string, dbName: string): string {
  const withoutCredentials = uri.replace(/\/\/[^@/]*@/, '//');
  const base = /^[a-z+]+:\/\/[^/?]*/i.exec(withoutCredentials)?.[0] ?? 'mongodb://?';
  return `${base}/${dbName}`;
}

const PING_TIMEOUT_MS = 2_000;

/** SERVICE_UNAVAILABLE unless the database answers a ping within ~2 s. */
export async function pingWithin(db: Db, timeoutMs = PING_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(storeErrors.unavailable()), timeoutMs);
  });
  try {
    await Promise.race([db.command({ ping: 1 }), timeout]);
  } catch {
    throw storeErrors.unavailable();
  } finally {
    clearTimeout(timer);
  }
}
