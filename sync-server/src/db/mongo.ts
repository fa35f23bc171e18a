import { MongoClient, type Collection, type Db, type Document } from 'mongodb';

export type Database = { client: MongoClient; db: Db };

export async function connectMongo(uri: string, dbName: string): Promise<Database> {
  const client = new MongoClient(uri, {
    // Fail fast at start-up and in /ready rather than hanging a request for the driver's 30 s default.
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    maxPoolSize: 50,
    appName: 'gatehouse-sync-server',
  });
  await client.connect();
  return { client, db: client.db(dbName) };
}

/** MongoDB duplicate-key error, the signal every idempotent insert in this server relies on. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 11000;
}

/** Escapes user text for use inside a `$regex`, so search input can never become a pattern. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A TTL index where the server supports it (MongoDB). FerretDB does not implement TTL yet; there a
 * plain index is created and expired rows linger harmlessly, because every query checks expiry itself.
 */
export async function ensureTtlIndex<T extends Document>(
  collection: Collection<T>,
  field: string,
  expireAfterSeconds: number,
): Promise<void> {
  try {
    await collection.createIndex({ [field]: 1 }, { expireAfterSeconds });
  } catch {
    await collection.createIndex({ [field]: 1 });
  }
}
