import {
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  type Collection,
  type Db,
  type Document,
} from 'mongodb';

/**
 * `scansForRanges`: the database answers every filter but `{_id: value}` by reading the whole
 * collection — FerretDB's SQLite handler does (it pushes nothing else down to SQL), MongoDB does not.
 * The change log then reads pages by `_id` (see ChangeLog.fetchAfter).
 */
export type Database = { client: MongoClient; db: Db; scansForRanges: boolean };

export async function connectMongo(uri: string, dbName: string): Promise<Database> {
  const client = new MongoClient(uri, {
    // Fail fast at start-up and in /ready rather than hanging a request for the driver's 30 s default.
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    maxPoolSize: 50,
    appName: 'gatehouse-sync-server',
  });
  await client.connect();
  const db = client.db(dbName);
  // A deployment that refuses buildInfo is no FerretDB: it keeps MongoDB's range reads.
  const build = await db
    .admin()
    .command({ buildInfo: 1 })
    .catch(() => ({}) as { ferretdbVersion?: unknown });
  return { client, db, scansForRanges: typeof build.ferretdbVersion === 'string' };
}

/** MongoDB duplicate-key error, the signal every idempotent insert in this server relies on. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 11000;
}

/**
 * An upsert by `_id`, retried when two first upserts of one document race to insert it: MongoDB
 * (and FerretDB) may answer the loser with a duplicate-key error, and on the retry it updates.
 */
export async function upsertRacing<T>(upsert: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await upsert();
    } catch (error) {
      if (!isDuplicateKeyError(error) || attempt >= attempts) throw error;
    }
  }
}

/**
 * The database could not take the request right now, and the same request later may well succeed:
 * unreachable, failing over, or (FerretDB's SQLite backend under write load) "database is locked".
 * Answered 503 with Retry-After rather than 500, so devices and clients back off and retry.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError
  ) {
    return true;
  }
  if (!(error instanceof MongoServerError)) return false;
  return (
    error.hasErrorLabel('RetryableWriteError') ||
    error.hasErrorLabel('TransientTransactionError') ||
    /database is locked|SQLITE_BUSY/i.test(error.message)
  );
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
