import type { Db, MongoClient } from 'mongodb';
import {
  REPOSITORY_NAMES,
  type RepositoryName,
  type StoreTransfer,
  TRANSFER_KEY,
  type TransferRows,
} from '../transfer';
import type { BlobHeadDoc } from './blobs';
import { detectCapabilities, marksRows, type MongoCapabilities } from './capabilities';
import { connectMongo, locationOf } from './connection';
import { COLLECTIONS } from './documents';
import { translateError } from './errors';
import { ensureIndexes } from './indexes';
import { addBlobBytes, exportHandoffs, readWalk, type Walk } from './transfer/export-rows';
import { importBlobs, importHandoffs, writeDocs } from './transfer/import-rows';
import { rebuildImportClaims, rebuildRotations } from './transfer/rebuild-claims';
import { rebuildCounters } from './transfer/rebuild-counters';
import { rebuildScans } from './transfer/rebuild-scans';
import { rebuildSeats } from './transfer/rebuild-seats';
import { type Doc, type Row, specOf, SPECS } from './transfer/specs';
import type { TransferTarget } from './transfer/writes';

/**
 * StoreTransfer on MongoDB (and FerretDB): every repository as plain rows in TRANSFER_KEY order,
 * and rows written as they are, by `_id` (inserted, or `$set` over the document with that `_id`:
 * what the adapter keeps on a document beside the row — mail hand-off items, seat peaks, a
 * booking's scans — is left alone). `finishImport` then builds what the adapter keeps beside the
 * rows from the imported rows:
 * - bucket counters (`buckets`): `seq` and `committedSeq` at the highest seq of each bucket, so
 *   appends continue the log and other processes' watchers see a commit stamp;
 * - seat slots (`seats`) for the seats confirmed bookings hold, numbered as seats.ts numbers them,
 *   and each event's `seatPeaks`, so the target neither oversells nor loses a seat;
 * - a booking's scans: slot documents `<bookingId>#n` in arrival order (scan-slots.ts) where
 *   updates are not isolated, the `scans` array on the booking where they are (checkins.ts), so a
 *   repeated scan after the move is still a duplicate;
 * - import claims (import-claims.ts) of the bookings a CSV import matches, so an import on the
 *   target agrees with one already there on which booking a row is;
 * - rotation claims of rotated refresh tokens (sessions.ts's FerretDB path).
 * The seat-count snapshot on events is kept as imported (the source's counts are exact).
 * Every step compares with what is there and writes only the difference: finishing twice is a no-op.
 */
export type MongoTransfer = StoreTransfer & {
  /** The URI without credentials, and the database. */
  readonly location: string;
  readonly capabilities: MongoCapabilities;
  /** The repositories this adapter can export and import (every one the port declares). */
  readonly repositories: readonly RepositoryName[];
  count(repository: RepositoryName): Promise<number>;
  /** Whether the database holds no Gatehouse rows (users, events, changes, secrets): a fresh target. */
  isEmpty(): Promise<boolean>;
  close(): Promise<void>;
};

export type MongoTransferOptions = {
  uri: string;
  dbName: string;
  /** Overrides single detected capabilities (tests: the path a real MongoDB takes, on FerretDB). */
  capabilities?: Partial<MongoCapabilities>;
  /** One line per step of finishImport: what was rebuilt. */
  log?: (line: string) => void;
};

export async function openMongoTransfer(options: MongoTransferOptions): Promise<MongoTransfer> {
  const log = options.log ?? (() => undefined);
  const { client, db } = await connectMongo(options.uri, options.dbName).catch((error: unknown) => {
    throw translateError(error);
  });
  try {
    const capabilities = await detectCapabilities(db, options.capabilities);
    // The unique keys an import must respect (change seqs, booking codes, emails) exist before any row.
    await ensureIndexes(db, capabilities, marksRows(capabilities));
    return new MongoTransferImpl(client, db, capabilities, locationOf(options.uri, options.dbName), log);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw translateError(error);
  }
}

class MongoTransferImpl implements MongoTransfer {
  readonly repositories: readonly RepositoryName[] = REPOSITORY_NAMES.filter(
    (name) => name === 'changes' || name === 'mailHandoffs' || name in SPECS,
  );
  private readonly walks = new Map<RepositoryName, Walk>();
  /** What the export, import and rebuild steps (transfer/) work on. */
  private readonly target: TransferTarget;

  constructor(
    private readonly client: MongoClient,
    db: Db,
    readonly capabilities: MongoCapabilities,
    readonly location: string,
    private readonly log: (line: string) => void,
  ) {
    this.target = { db, capabilities, collection: (name) => db.collection<Doc>(name) };
  }

  async count(repository: RepositoryName): Promise<number> {
    if (repository === 'mailHandoffs') {
      const counts = await Promise.all(
        [COLLECTIONS.bookings, COLLECTIONS.events].map((name) =>
          this.target.collection(name).countDocuments({ mailPending: { $gt: '' } }),
        ),
      );
      return counts[0]! + counts[1]!;
    }
    const spec = specOf(repository);
    return this.target.collection(spec.collection).countDocuments(spec.filter ?? {});
  }

  async isEmpty(): Promise<boolean> {
    for (const name of [COLLECTIONS.users, COLLECTIONS.events, COLLECTIONS.changes, COLLECTIONS.secrets]) {
      if ((await this.target.collection(name).findOne({}, { projection: { _id: 1 } })) !== null) return false;
    }
    return true;
  }

  // ─── export (transfer/export-rows.ts) ───────────────────────────────────────────────────────

  async exportRows<R extends RepositoryName>(
    repository: R,
    afterKey: string | null,
    limit: number,
  ): Promise<TransferRows[R][]> {
    const take = Math.max(0, Math.floor(limit));
    if (repository === 'mailHandoffs') return (await exportHandoffs(this.target, afterKey, take)) as TransferRows[R][];
    const spec = specOf(repository);
    if (take === 0) return [];
    const docs = await readWalk(this.target, this.walks, repository, afterKey, take);
    const rows = docs.map((doc) => spec.toRow(doc));
    if (repository === 'blobs')
      await addBlobBytes(this.target, docs as unknown as BlobHeadDoc[], rows as Row<'blobs'>[]);
    const last = rows[rows.length - 1];
    const walk = this.walks.get(repository);
    if (walk) walk.lastKey = last === undefined ? afterKey : TRANSFER_KEY[repository](last);
    return rows;
  }

  // ─── import (transfer/import-rows.ts) ───────────────────────────────────────────────────────

  async importRows<R extends RepositoryName>(repository: R, rows: TransferRows[R][]): Promise<void> {
    if (rows.length === 0) return;
    try {
      if (repository === 'mailHandoffs') {
        await importHandoffs(this.target, rows as Row<'mailHandoffs'>[]);
        return;
      }
      if (repository === 'blobs') {
        await importBlobs(this.target, rows as Row<'blobs'>[]);
        return;
      }
      const spec = specOf(repository);
      await writeDocs(
        this.target,
        this.target.collection(spec.collection),
        rows.map((row) => spec.toDoc(row)),
      );
    } catch (error) {
      throw translateError(error);
    }
  }

  // ─── finishing (transfer/rebuild-*.ts) ──────────────────────────────────────────────────────

  async finishImport(): Promise<void> {
    const timed = async <T>(step: () => Promise<T>, line: (result: T) => string) => {
      const started = Date.now();
      const result = await step();
      this.log(`${line(result)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    };
    try {
      await timed(
        () => rebuildCounters(this.target),
        (counters) => `bucket counters: ${counters.written} of ${counters.buckets} set`,
      );
      await timed(
        () => rebuildSeats(this.target),
        (seats) =>
          `seat slots: ${seats.slots} for ${seats.events} events (${seats.written} written, ${seats.removed} removed); ` +
          `seat peaks set on ${seats.peaks} events`,
      );
      await timed(
        () => rebuildScans(this.target),
        (scans) =>
          `scans: ${scans.scans} of ${scans.bookings} bookings as ${scans.where} ` +
          `(${scans.written} written, ${scans.removed} removed)`,
      );
      await timed(
        () => rebuildImportClaims(this.target),
        (claims) => `import claims: ${claims.written} of ${claims.claims} written`,
      );
      await timed(
        () => rebuildRotations(this.target),
        (rotations) => `refresh-token rotation claims: ${rotations.written} of ${rotations.rotated} written`,
      );
    } catch (error) {
      throw translateError(error);
    }
  }

  async close(): Promise<void> {
    for (const walk of this.walks.values()) await walk.cursor.close().catch(() => undefined);
    this.walks.clear();
    await this.client.close();
  }
}
