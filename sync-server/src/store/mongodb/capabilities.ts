import type { Db } from 'mongodb';

/**
 * What the database behind the MongoDB wire protocol can be trusted with, detected once when the
 * store opens. A real MongoDB has all of it; FerretDB v1.24.2 on SQLite (the test and small-site
 * database) has none of it, and every workaround in this adapter is keyed to the capability whose
 * absence it makes up for — so a real MongoDB takes the straight path.
 */
export type MongoCapabilities = {
  /**
   * `$inc` is atomic under concurrency. False (FerretDB): two writers may be handed the same value
   * and a counter can step back, so the change log treats its bucket counters as hints and probes
   * upward with back-off after a collision, and login failures are counted under a row lock.
   */
  atomicIncrement: boolean;
  /**
   * One update of a document is isolated from another: a conditional update's test and write are
   * one step, and two updates of different fields both land. False (FerretDB rewrites the whole
   * document without isolation): this process's writes of a row are serialised (row lock), a
   * cancellation is read back and re-applied until it holds, claims of mail and refresh tokens are
   * unique inserts, and a booking's scans are gap-free slot documents instead of one `$push`.
   */
  isolatedUpdates: boolean;
  /**
   * Filters other than `{_id: value}` — ranges, compound filters, sorts — are answered from an
   * index. False (FerretDB's SQLite handler pushes only `{_id: value}` down to SQL and reads the
   * whole collection for anything else): change-log pages are read by `_id`, conditional writes
   * read by `_id` and compare in the server, and pending log writes are tracked by intents (by
   * `_id`) instead of a mark on the row that a sweep must find by range.
   */
  rangeReadsUseIndex: boolean;
  /**
   * Update statements one bulk command may carry. FerretDB v1.24.2 holds a pooled SQLite
   * connection per statement until the command ends, so a command of ~100 deadlocks the whole
   * database: 16 there. Where it is small, writes in flight together are also grouped into one
   * command each (group commit), because there every command costs a round trip through one
   * SQLite connection pool; a real MongoDB takes each write as its own command.
   */
  maxUpdatesPerCommand: number;
  /** TTL indexes expire documents (MongoDB). False: a plain index, and every reader checks expiry itself. */
  ttlIndexes: boolean;
};

export const MONGODB_CAPABILITIES: MongoCapabilities = {
  atomicIncrement: true,
  isolatedUpdates: true,
  rangeReadsUseIndex: true,
  maxUpdatesPerCommand: 100_000,
  ttlIndexes: true,
};

export const FERRETDB_CAPABILITIES: MongoCapabilities = {
  atomicIncrement: false,
  isolatedUpdates: false,
  rangeReadsUseIndex: false,
  maxUpdatesPerCommand: 16,
  ttlIndexes: false,
};

/** Below this many statements per command the database is one where group commit pays (see maxUpdatesPerCommand). */
const GROUP_WRITES_BELOW = 1_000;

/** Whether writes issued side by side are grouped into one command each (GroupWriter). */
export function groupsWrites(capabilities: MongoCapabilities): boolean {
  return capabilities.maxUpdatesPerCommand < GROUP_WRITES_BELOW;
}

/**
 * Pending log writes are marked on the row itself (cheap where a `{logPending}` range is indexed
 * and a `$unset` cannot clobber a concurrent write); otherwise they are intents by `_id`.
 */
export function marksRows(capabilities: MongoCapabilities): boolean {
  return capabilities.isolatedUpdates && capabilities.rangeReadsUseIndex;
}

/**
 * Asks `buildInfo` once. FerretDB reports `ferretdbVersion`; a deployment that refuses buildInfo
 * is no FerretDB either. `forced` overrides single capabilities (tests run the straight path on
 * FerretDB with one writer).
 */
export async function detectCapabilities(db: Db, forced: Partial<MongoCapabilities> = {}): Promise<MongoCapabilities> {
  const build = await db
    .admin()
    .command({ buildInfo: 1 })
    .catch(() => ({}) as { ferretdbVersion?: unknown });
  const detected = typeof build.ferretdbVersion === 'string' ? FERRETDB_CAPABILITIES : MONGODB_CAPABILITIES;
  return { ...detected, ...forced };
}
