import type { AnyBulkWriteOperation, Collection, Db, Document, Filter, FindCursor, MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { ScanFact } from '../port';
import type { RefreshTokenRow } from '../rows';
import { searchTermsOf } from '../search-words';
import {
  REPOSITORY_NAMES,
  TRANSFER_KEY,
  type RepositoryName,
  type StoreTransfer,
  type TransferRows,
} from '../transfer';
import { writeErrorsOf } from './batching';
import { type BlobHeadDoc, MongoBlobs, toBlobRow } from './blobs';
import { detectCapabilities, marksRows, type MongoCapabilities } from './capabilities';
import { connectMongo, locationOf } from './connection';
import {
  COLLECTIONS,
  toAlertRow,
  toRefusalRow,
  toBookingRow,
  toCheckinRow,
  toEventRow,
  toTicketKeyRow,
  toUserRow,
  type AlertDoc,
  type RefusalDoc,
  type BookingDoc,
  type CheckinDoc,
  type EventDoc,
  type TicketKeyDoc,
  type UserDoc,
} from './documents';
import { isDuplicateKeyError, translateError } from './errors';
import { toIdempotencyRow, type IdempotencyDoc } from './idempotency';
import { importClaimId, bookingMatchKey } from './import-claims';
import { ensureIndexes } from './indexes';
import { scopeKeyOfType } from './seats';

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

type Row<R extends RepositoryName> = TransferRows[R];
/** Every document here is keyed by a string `_id`. */
type Doc = Document & { _id: string };
/** A row as a document: its `_id`, the fields an import sets, and those only a new document gets. */
type DocOf = { _id: string; set: Document; setOnInsert?: Document };

type Spec<R extends RepositoryName> = {
  collection: string;
  /** Documents that are not rows of the repository (the change log's no-ops). */
  filter?: Filter<Doc>;
  toRow: (doc: Document) => Row<R>;
  toDoc: (row: Row<R>) => DocOf;
};

const date = (ms: number) => new Date(ms);
const dateOrNull = (ms: number | null) => (ms === null ? null : new Date(ms));
const msOf = (value: unknown) => (value as Date).getTime();
const msOrNull = (value: unknown) => (value instanceof Date ? value.getTime() : null);
const orNull = <T>(value: T | undefined) => (value === undefined ? null : value);

const SPECS: { [R in Exclude<RepositoryName, 'changes' | 'mailHandoffs'>]: Spec<R> } = {
  secrets: {
    collection: COLLECTIONS.secrets,
    toRow: (doc) => ({ name: doc._id as string, value: doc.value as string }),
    toDoc: (row) => ({ _id: row.name, set: { value: row.value }, setOnInsert: { createdAt: new Date() } }),
  },
  users: {
    collection: COLLECTIONS.users,
    toRow: (doc) => toUserRow(doc as UserDoc),
    toDoc: ({ id, ...fields }) => ({ _id: id, set: fields }),
  },
  sessions: {
    collection: COLLECTIONS.refreshTokens,
    toRow: (doc): RefreshTokenRow => ({
      hash: doc._id as string,
      familyId: doc.familyId as string,
      userId: doc.userId as string,
      deviceId: orNull(doc.deviceId as string | null | undefined),
      createdAtMs: msOf(doc.createdAt),
      expiresAtMs: msOf(doc.expiresAt),
      rotatedAtMs: msOrNull(doc.rotatedAt),
      revokedAtMs: msOrNull(doc.revokedAt),
    }),
    toDoc: (row) => ({
      _id: row.hash,
      set: {
        familyId: row.familyId,
        userId: row.userId,
        deviceId: row.deviceId,
        createdAt: date(row.createdAtMs),
        expiresAt: date(row.expiresAtMs),
        rotatedAt: dateOrNull(row.rotatedAtMs),
        revokedAt: dateOrNull(row.revokedAtMs),
      },
    }),
  },
  lockouts: {
    collection: COLLECTIONS.loginAttempts,
    // No lock is null here and 0 on SQLite; null is the transfer's spelling of both.
    toRow: (doc) => ({
      key: doc._id as string,
      failures: (doc.failures as number | undefined) ?? 0,
      lockedUntilMs: msOrNull(doc.lockedUntil) || null,
      updatedAtMs: msOf(doc.updatedAt),
    }),
    toDoc: (row) => ({
      _id: row.key,
      set: { failures: row.failures, lockedUntil: dateOrNull(row.lockedUntilMs), updatedAt: date(row.updatedAtMs) },
    }),
  },
  devices: {
    collection: COLLECTIONS.devices,
    toRow: (doc) => ({
      id: doc._id as string,
      userId: doc.userId as string,
      name: orNull(doc.name as string | null | undefined),
      firstSeenAt: (doc.firstSeenAt ?? doc.lastSeenAt) as string,
      lastSeenAt: doc.lastSeenAt as string,
      revoked: doc.revoked === true,
      revokedAt: orNull(doc.revokedAt as string | null | undefined),
      clockOffsetMs: orNull(doc.clockOffsetMs as number | null | undefined),
      sessionId: orNull(doc.sessionId as string | null | undefined),
    }),
    toDoc: ({ id, ...fields }) => ({ _id: id, set: fields }),
  },
  events: {
    collection: COLLECTIONS.events,
    toRow: (doc) => toEventRow(doc as EventDoc),
    toDoc: ({ id, ...fields }) => ({ _id: id, set: fields, setOnInsert: { mailPending: [] } }),
  },
  ticketKeys: {
    collection: COLLECTIONS.ticketKeys,
    toRow: (doc) => toTicketKeyRow(doc as TicketKeyDoc),
    toDoc: ({ id, ...fields }) => ({ _id: id, set: fields }),
  },
  bookings: {
    collection: COLLECTIONS.bookings,
    toRow: (doc) => toBookingRow(doc as BookingDoc),
    toDoc: ({ id, ...fields }) => ({
      _id: id,
      set: { ...fields, searchTerms: searchTermsOf(fields.attendee, fields.code) },
      setOnInsert: { mailPending: [] },
    }),
  },
  idempotency: {
    collection: COLLECTIONS.idempotencyKeys,
    toRow: (doc) => toIdempotencyRow(doc as IdempotencyDoc),
    toDoc: (row) => ({
      _id: row.key,
      set: {
        requestHash: row.requestHash,
        resourceId: row.resourceId,
        createdAt: date(row.createdAtMs),
        ...(row.answer ? { answer: row.answer } : {}),
      },
    }),
  },
  checkins: {
    collection: COLLECTIONS.checkins,
    toRow: (doc) => toCheckinRow(doc as CheckinDoc),
    toDoc: ({ id, ...fields }) => ({ _id: id, set: fields }),
  },
  alerts: {
    collection: COLLECTIONS.alerts,
    toRow: (doc) => toAlertRow(doc as AlertDoc),
    toDoc: ({ id, ...fields }) => ({ _id: id, set: fields }),
  },
  refusals: {
    collection: COLLECTIONS.refusals,
    toRow: (doc) => toRefusalRow(doc as RefusalDoc),
    toDoc: ({ id, ...fields }) => ({ _id: id, set: fields }),
  },
  mutations: {
    collection: COLLECTIONS.mutations,
    toRow: (doc) => ({
      id: doc._id as string,
      userId: doc.userId as string,
      deviceId: doc.deviceId as string,
      name: doc.name as string,
      argsHash: doc.argsHash as string,
      hlc: doc.hlc as string,
      status: doc.status as Row<'mutations'>['status'],
      result: orNull(doc.result as Row<'mutations'>['result'] | undefined),
      claimedAtMs: msOf(doc.claimedAt),
      appliedAtMs: msOrNull(doc.appliedAt),
    }),
    toDoc: (row) => ({
      _id: row.id,
      set: {
        userId: row.userId,
        deviceId: row.deviceId,
        name: row.name,
        argsHash: row.argsHash,
        hlc: row.hlc,
        status: row.status,
        result: row.result,
        claimedAt: date(row.claimedAtMs),
        appliedAt: dateOrNull(row.appliedAtMs),
      },
    }),
  },
  mail: {
    collection: COLLECTIONS.mail,
    toRow: (doc) => ({
      id: doc._id as string,
      kind: doc.kind as Row<'mail'>['kind'],
      to: doc.to as string,
      toName: doc.toName as string,
      subject: doc.subject as string,
      html: doc.html as string,
      text: doc.text as string,
      ics: orNull(doc.ics as string | null | undefined),
      qrToken: orNull(doc.qrToken as string | null | undefined),
      eventId: doc.eventId as string,
      bookingId: orNull(doc.bookingId as string | null | undefined),
      status: doc.status as Row<'mail'>['status'],
      attempts: doc.attempts as number,
      claimSeq: doc.claimSeq as number,
      nextAttemptAtMs: msOf(doc.nextAttemptAt),
      leaseOwner: orNull(doc.leaseOwner as string | null | undefined),
      leaseUntilMs: msOrNull(doc.leaseUntil),
      lastError: orNull(doc.lastError as string | null | undefined),
      messageId: doc.messageId as string,
      createdAtMs: msOf(doc.createdAt),
      sentAtMs: msOrNull(doc.sentAt),
    }),
    toDoc: (row) => ({
      _id: row.id,
      set: {
        kind: row.kind,
        to: row.to,
        toName: row.toName,
        subject: row.subject,
        html: row.html,
        text: row.text,
        ics: row.ics,
        qrToken: row.qrToken,
        eventId: row.eventId,
        bookingId: row.bookingId,
        status: row.status,
        attempts: row.attempts,
        claimSeq: row.claimSeq,
        nextAttemptAt: date(row.nextAttemptAtMs),
        leaseOwner: row.leaseOwner,
        leaseUntil: dateOrNull(row.leaseUntilMs),
        lastError: row.lastError,
        messageId: row.messageId,
        createdAt: date(row.createdAtMs),
        sentAt: dateOrNull(row.sentAtMs),
      },
    }),
  },
  fanOuts: {
    collection: COLLECTIONS.mailFanOuts,
    toRow: (doc) => ({ marker: doc._id as string, atMs: msOf(doc.at) }),
    toDoc: (row) => ({ _id: row.marker, set: { at: date(row.atMs) } }),
  },
  // Heads only: exportRows adds each blob's bytes from its chunks, importRows writes them as a put does.
  blobs: {
    collection: COLLECTIONS.blobs,
    toRow: (doc) => ({ ...toBlobRow(doc as BlobHeadDoc), dataBase64: '' }),
    toDoc: () => {
      throw new Error('blobs are imported through MongoBlobs, not as documents');
    },
  },
};

/** The change log's own spelling: `_id` `<bucket>:<seq>`; no-ops (filled holes) are not rows. */
const CHANGES: Spec<'changes'> = {
  collection: COLLECTIONS.changes,
  filter: { type: { $ne: 'noop' } },
  toRow: (doc) => ({
    bucket: doc.bucket as string,
    seq: doc.seq as number,
    type: doc.type as Row<'changes'>['type'],
    id: doc.id as string,
    rev: doc.rev as number,
    doc: orNull(doc.doc as unknown),
  }),
  toDoc: (row) => ({
    _id: `${row.bucket}:${row.seq}`,
    set: { bucket: row.bucket, seq: row.seq, type: row.type, id: row.id, rev: row.rev, doc: row.doc ?? null },
    // A reader judges a hole by the age of the change after it (changelog.ts): an imported
    // log has none, and its entries are as old as the import.
    setOnInsert: { at: new Date() },
  }),
};

/** Rows walked per cursor batch. */
const CURSOR_BATCH = 1_000;
/** Documents per insert command (a bulk command's size on FerretDB is bounded by statements, not inserts). */
const INSERT_CHUNK = 1_000;
const HANDOFF_KINDS = ['booking', 'event'] as const;

function splitKey(key: string, separator: string, last = false): [string, string] {
  const at = last ? key.lastIndexOf(separator) : key.indexOf(separator);
  return [key.slice(0, at), key.slice(at + separator.length)];
}

/** A walk in progress: the next call that continues from `lastKey` reads on from the same cursor. */
type Walk = { lastKey: string | null; cursor: FindCursor<Doc> };

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

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    readonly capabilities: MongoCapabilities,
    readonly location: string,
    private readonly log: (line: string) => void,
  ) {}

  private spec<R extends RepositoryName>(repository: R): Spec<R> {
    if (repository === 'changes') return CHANGES as unknown as Spec<R>;
    const spec = (SPECS as unknown as Partial<Record<RepositoryName, Spec<R>>>)[repository];
    if (!spec) throw new Error(`The MongoDB store has no exporter for repository ${String(repository)}`);
    return spec;
  }

  private collection(name: string): Collection<Doc> {
    return this.db.collection<Doc>(name);
  }

  async count(repository: RepositoryName): Promise<number> {
    if (repository === 'mailHandoffs') {
      const counts = await Promise.all(
        [COLLECTIONS.bookings, COLLECTIONS.events].map((name) =>
          this.collection(name).countDocuments({ mailPending: { $gt: '' } }),
        ),
      );
      return counts[0]! + counts[1]!;
    }
    const spec = this.spec(repository);
    return this.collection(spec.collection).countDocuments(spec.filter ?? {});
  }

  async isEmpty(): Promise<boolean> {
    for (const name of [COLLECTIONS.users, COLLECTIONS.events, COLLECTIONS.changes, COLLECTIONS.secrets]) {
      if ((await this.collection(name).findOne({}, { projection: { _id: 1 } })) !== null) return false;
    }
    return true;
  }

  // ─── export ─────────────────────────────────────────────────────────────────────────────────

  async exportRows<R extends RepositoryName>(
    repository: R,
    afterKey: string | null,
    limit: number,
  ): Promise<TransferRows[R][]> {
    const take = Math.max(0, Math.floor(limit));
    if (repository === 'mailHandoffs') return (await this.exportHandoffs(afterKey, take)) as TransferRows[R][];
    const spec = this.spec(repository);
    if (take === 0) return [];
    const docs = await this.readWalk(repository, afterKey, take);
    const rows = docs.map((doc) => spec.toRow(doc));
    if (repository === 'blobs') await this.addBlobBytes(docs as unknown as BlobHeadDoc[], rows as Row<'blobs'>[]);
    const last = rows[rows.length - 1];
    const walk = this.walks.get(repository);
    if (walk) walk.lastKey = last === undefined ? afterKey : TRANSFER_KEY[repository](last);
    return rows;
  }

  /**
   * The next `limit` documents after `afterKey`. A walk that goes on from where the last call
   * ended reads on from the same sorted cursor: FerretDB answers a range by reading the whole
   * collection, so one cursor per walk rather than one query per page.
   */
  private async readWalk(repository: RepositoryName, afterKey: string | null, limit: number): Promise<Doc[]> {
    for (let attempt = 0; ; attempt++) {
      let walk = this.walks.get(repository);
      if (!walk || walk.lastKey !== afterKey) {
        await walk?.cursor.close().catch(() => undefined);
        walk = { lastKey: afterKey, cursor: this.openCursor(repository, afterKey) };
        this.walks.set(repository, walk);
      }
      const docs: Doc[] = [];
      try {
        while (docs.length < limit) {
          const doc = await walk.cursor.next();
          if (doc === null) break;
          docs.push(doc);
        }
      } catch (error) {
        // A cursor idle for longer than the server keeps it (10 min) is gone: open it again here.
        this.walks.delete(repository);
        await walk.cursor.close().catch(() => undefined);
        if (attempt === 0 && docs.length === 0) continue;
        throw translateError(error);
      }
      if (docs.length < limit) {
        this.walks.delete(repository);
        await walk.cursor.close().catch(() => undefined);
      }
      return docs;
    }
  }

  private openCursor(repository: RepositoryName, afterKey: string | null): FindCursor<Doc> {
    const spec = this.spec(repository);
    const and: Filter<Doc>[] = spec.filter ? [spec.filter] : [];
    let sort: Document = { _id: 1 };
    if (repository === 'changes') {
      sort = { bucket: 1, seq: 1 };
      if (afterKey !== null) {
        const [bucket, seq] = splitKey(afterKey, '\u0000', true);
        and.push({ $or: [{ bucket: { $gt: bucket } }, { bucket, seq: { $gt: Number(seq) } }] });
      }
    } else if (afterKey !== null) {
      and.push({ _id: { $gt: afterKey } });
    }
    const filter = and.length === 0 ? {} : and.length === 1 ? and[0]! : { $and: and };
    return this.collection(spec.collection).find(filter).sort(sort).batchSize(CURSOR_BATCH);
  }

  /** Hand-offs live on their rows (`mailPending`, `mailRev`): bookings' first, then events', by id. */
  private async exportHandoffs(afterKey: string | null, limit: number): Promise<Row<'mailHandoffs'>[]> {
    const rows: Row<'mailHandoffs'>[] = [];
    const [afterKind, afterId] = afterKey === null ? [null, null] : splitKey(afterKey, ':');
    for (const kind of HANDOFF_KINDS) {
      if (rows.length >= limit) break;
      if (afterKind !== null && kind < afterKind) continue;
      const filter: Filter<Doc> = { mailPending: { $gt: '' } };
      if (afterKind === kind) filter._id = { $gt: afterId };
      const docs = await this.collection(kind === 'booking' ? COLLECTIONS.bookings : COLLECTIONS.events)
        .find(filter, { projection: { _id: 1, rev: 1, mailPending: 1, mailRev: 1 } })
        .sort({ _id: 1 })
        .limit(limit - rows.length)
        .toArray();
      for (const doc of docs) {
        rows.push({
          kind,
          rowId: doc._id as string,
          items: [...(doc.mailPending as string[])],
          rev: (doc.mailRev ?? doc.rev ?? 0) as number,
        });
      }
    }
    return rows;
  }

  // ─── import ─────────────────────────────────────────────────────────────────────────────────

  async importRows<R extends RepositoryName>(repository: R, rows: TransferRows[R][]): Promise<void> {
    if (rows.length === 0) return;
    try {
      if (repository === 'mailHandoffs') {
        await this.importHandoffs(rows as Row<'mailHandoffs'>[]);
        return;
      }
      if (repository === 'blobs') {
        await this.importBlobs(rows as Row<'blobs'>[]);
        return;
      }
      const spec = this.spec(repository);
      await this.writeDocs(
        this.collection(spec.collection),
        rows.map((row) => spec.toDoc(row)),
      );
    } catch (error) {
      throw translateError(error);
    }
  }

  /**
   * Inserts the documents unordered (one command per thousand: the common case, a fresh target),
   * then writes those whose `_id` exists with `$set` by `_id` — as many per command as the
   * database takes. A document whose other unique key (an email, a booking code) belongs to
   * another `_id` fails the import: the target holds a different row.
   */
  private async writeDocs(collection: Collection<Doc>, docs: DocOf[]): Promise<void> {
    const existing: DocOf[] = [];
    for (let start = 0; start < docs.length; start += INSERT_CHUNK) {
      const chunk = docs.slice(start, start + INSERT_CHUNK);
      try {
        await collection.insertMany(
          chunk.map((doc) => ({ _id: doc._id, ...doc.setOnInsert, ...doc.set })),
          { ordered: false },
        );
      } catch (error) {
        const failures = writeErrorsOf(error);
        if (!failures || failures.length === 0 || failures.some((failure) => failure.code !== 11000)) throw error;
        for (const failure of failures) existing.push(chunk[failure.index]!);
      }
    }
    const operations: AnyBulkWriteOperation<Doc>[] = existing.map((doc) => ({
      updateOne: {
        filter: { _id: doc._id },
        update: doc.setOnInsert ? { $set: doc.set, $setOnInsert: doc.setOnInsert } : { $set: doc.set },
        upsert: true,
      },
    }));
    await this.bulk(collection, operations);
  }

  private async bulk(collection: Collection<Doc>, operations: AnyBulkWriteOperation<Doc>[]): Promise<void> {
    const perCommand = this.capabilities.maxUpdatesPerCommand;
    for (let start = 0; start < operations.length; start += perCommand) {
      try {
        await collection.bulkWrite(operations.slice(start, start + perCommand), { ordered: false });
      } catch (error) {
        if (isDuplicateKeyError(error) || writeErrorsOf(error)?.some((failure) => failure.code === 11000)) {
          throw new Error(
            `Cannot import into ${collection.collectionName}: a document with another _id holds the same unique key ` +
              `(the target database already has other data). ${(error as Error).message}`,
            { cause: error },
          );
        }
        throw error;
      }
    }
  }

  /** Reads each exported head's chunks into its row (a blob a put replaced meanwhile is read again whole). */
  private async addBlobBytes(heads: BlobHeadDoc[], rows: Row<'blobs'>[]): Promise<void> {
    const blobs = new MongoBlobs({ db: this.db });
    for (let index = 0; index < heads.length; index++) {
      const bytes = await blobs.readChunks(heads[index]!);
      const stored = bytes ? { row: toBlobRow(heads[index]!), bytes } : await blobs.get(heads[index]!._id);
      if (!stored) throw new Error(`blob ${heads[index]!._id} was deleted while it was exported`);
      rows[index] = { ...stored.row, dataBase64: stored.bytes.toString('base64') };
    }
  }

  /** Writes each blob as a put does (new chunks, then its head): importing again replaces it whole. */
  private async importBlobs(rows: Row<'blobs'>[]): Promise<void> {
    const blobs = new MongoBlobs({ db: this.db });
    for (const row of rows) {
      const { dataBase64, id, ...fields } = row;
      const existing = await this.collection(COLLECTIONS.blobs).findOne({ _id: id });
      // The same blob already here (a resumed or repeated import): left as it is, chunks and all.
      if (existing && stringify(toBlobRow(existing as unknown as BlobHeadDoc)) === stringify({ id, ...fields }))
        continue;
      await blobs.writeBlob(
        { _id: id, ...fields, version: randomUUID(), chunks: 0 },
        Buffer.from(dataBase64, 'base64'),
      );
    }
  }

  /** Sets the items on the row they belong to (imported before: bookings and events come first). */
  private async importHandoffs(rows: Row<'mailHandoffs'>[]): Promise<void> {
    for (const kind of HANDOFF_KINDS) {
      const mine = rows.filter((row) => row.kind === kind);
      if (mine.length === 0) continue;
      const collection = this.collection(kind === 'booking' ? COLLECTIONS.bookings : COLLECTIONS.events);
      await this.bulk(
        collection,
        mine.map((row) => ({
          updateOne: { filter: { _id: row.rowId }, update: { $set: { mailPending: row.items, mailRev: row.rev } } },
        })),
      );
      const found = new Set<string>();
      for (const ids of chunks(
        mine.map((row) => row.rowId),
        INSERT_CHUNK,
      )) {
        const docs = await collection.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray();
        for (const doc of docs) found.add(doc._id as string);
      }
      const missing = mine.find((row) => !found.has(row.rowId));
      if (missing) throw new Error(`Mail hand-off for ${kind} ${missing.rowId}, which was not imported`);
    }
  }

  // ─── finishing ──────────────────────────────────────────────────────────────────────────────

  async finishImport(): Promise<void> {
    const timed = async <T>(step: () => Promise<T>, line: (result: T) => string) => {
      const started = Date.now();
      const result = await step();
      this.log(`${line(result)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    };
    try {
      await timed(
        () => this.rebuildCounters(),
        (counters) => `bucket counters: ${counters.written} of ${counters.buckets} set`,
      );
      await timed(
        () => this.rebuildSeats(),
        (seats) =>
          `seat slots: ${seats.slots} for ${seats.events} events (${seats.written} written, ${seats.removed} removed); ` +
          `seat peaks set on ${seats.peaks} events`,
      );
      await timed(
        () => this.rebuildScans(),
        (scans) =>
          `scans: ${scans.scans} of ${scans.bookings} bookings as ${scans.where} ` +
          `(${scans.written} written, ${scans.removed} removed)`,
      );
      await timed(
        () => this.rebuildImportClaims(),
        (claims) => `import claims: ${claims.written} of ${claims.claims} written`,
      );
      await timed(
        () => this.rebuildRotations(),
        (rotations) => `refresh-token rotation claims: ${rotations.written} of ${rotations.rotated} written`,
      );
    } catch (error) {
      throw translateError(error);
    }
  }

  /**
   * The highest seq of each bucket's log: one `$group` on the server where it has `$max`
   * (MongoDB), else (FerretDB: "not implemented") the log streamed through here.
   */
  private async logHeads(): Promise<Map<string, number>> {
    const changes = this.collection(COLLECTIONS.changes);
    const heads = new Map<string, number>();
    try {
      const groups = changes.aggregate<{ _id: string; seq: number }>(
        [{ $group: { _id: '$bucket', seq: { $max: '$seq' } } }],
        { allowDiskUse: true },
      );
      for await (const group of groups) heads.set(group._id, group.seq);
      return heads;
    } catch {
      heads.clear();
    }
    for await (const doc of changes.find({}, { projection: { bucket: 1, seq: 1 } })) {
      const bucket = doc.bucket as string;
      heads.set(bucket, Math.max(heads.get(bucket) ?? 0, doc.seq as number));
    }
    return heads;
  }

  /** Each bucket's counter at the highest seq of its log (no-ops included: they hold their seq). */
  private async rebuildCounters(): Promise<{ buckets: number; written: number }> {
    const heads = await this.logHeads();
    const current = new Map<string, Doc>();
    for await (const doc of this.collection(COLLECTIONS.buckets).find({})) current.set(doc._id as string, doc);
    const now = new Date();
    const fresh: Doc[] = [];
    const raise: AnyBulkWriteOperation<Doc>[] = [];
    for (const [bucket, seq] of heads) {
      const counter = current.get(bucket);
      if (!counter) fresh.push({ _id: bucket, seq, committedSeq: seq, updatedAt: now });
      else if ((counter.seq as number) < seq || ((counter.committedSeq as number | undefined) ?? 0) < seq) {
        raise.push({
          updateOne: {
            filter: { _id: bucket },
            update: { $max: { seq, committedSeq: seq }, $set: { updatedAt: now } },
          },
        });
      }
    }
    await this.insertAll(this.collection(COLLECTIONS.buckets), fresh);
    await this.bulk(this.collection(COLLECTIONS.buckets), raise);
    return { buckets: heads.size, written: fresh.length + raise.length };
  }

  /**
   * Seats as seats.ts keeps them: per event and scope (`all`, `type-<id>`), each seat a confirmed
   * booking holds is a slot document `<event>:<scope>:<slot>`, numbered 0… in booking order. Every
   * confirmed booking holds its seats, walk-ins accepted over capacity too (the source counted
   * them), so the free slots below a limit are exactly the seats the source had left. The peak
   * of a scope is its limit, or the slots in use where those exceed it: then the scope is checked
   * by counting its holders (SeatLedger), and no new online booking gets in until enough leave.
   */
  private async rebuildSeats(): Promise<{
    events: number;
    slots: number;
    written: number;
    removed: number;
    peaks: number;
  }> {
    const bookingsByEvent = new Map<
      string,
      Array<{ id: string; ticketTypeId: string; quantity: number; createdAt: string }>
    >();
    for await (const doc of this.collection(COLLECTIONS.bookings).find(
      { status: 'confirmed' },
      { projection: { eventId: 1, ticketTypeId: 1, quantity: 1, createdAt: 1 } },
    )) {
      const list = bookingsByEvent.get(doc.eventId as string) ?? [];
      list.push({
        id: doc._id as string,
        ticketTypeId: doc.ticketTypeId as string,
        quantity: doc.quantity as number,
        createdAt: doc.createdAt as string,
      });
      bookingsByEvent.set(doc.eventId as string, list);
    }
    const wanted = new Map<string, Doc>();
    const peaksByEvent = new Map<string, Record<string, number>>();
    const events = new Map<string, Doc>();
    for await (const doc of this.collection(COLLECTIONS.events).find(
      {},
      { projection: { capacity: 1, ticketTypes: 1, seatPeaks: 1 } },
    )) {
      events.set(doc._id as string, doc);
    }
    for (const [eventId, event] of events) {
      const bookings = (bookingsByEvent.get(eventId) ?? []).sort((a, b) =>
        a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
      );
      const used = new Map<string, number>();
      for (const booking of bookings) {
        for (const scope of [scopeKeyOfType(booking.ticketTypeId), 'all']) {
          for (let seat = 0; seat < booking.quantity; seat++) {
            const slot = used.get(scope) ?? 0;
            used.set(scope, slot + 1);
            const _id = `${eventId}:${scope}:${slot}`;
            wanted.set(_id, { _id, eventId, scope, slot, bookingId: booking.id });
          }
        }
      }
      const peaks: Record<string, number> = { all: Math.max(event.capacity as number, used.get('all') ?? 0) };
      for (const type of event.ticketTypes as Array<{ id: string; quota: number }>) {
        const key = scopeKeyOfType(type.id);
        peaks[key] = Math.max(type.quota, used.get(key) ?? 0);
      }
      peaksByEvent.set(eventId, peaks);
    }
    const seats = this.collection(COLLECTIONS.seats);
    // Only the difference is written: a slot that is right stays, one held otherwise (another
    // booking, or still under the repair's watch) is replaced, one no booking wants is removed.
    const changes: AnyBulkWriteOperation<Doc>[] = [];
    const seen = new Set<string>();
    for await (const doc of seats.find({})) {
      const want = wanted.get(doc._id as string);
      if (!want) {
        changes.push({ deleteOne: { filter: { _id: doc._id } } });
        continue;
      }
      seen.add(want._id as string);
      if (want.bookingId !== doc.bookingId || want.eventId !== doc.eventId || doc.heldSince !== undefined) {
        const { _id, ...fields } = want;
        changes.push({ replaceOne: { filter: { _id }, replacement: fields } });
      }
    }
    const fresh = [...wanted.values()].filter((doc) => !seen.has(doc._id as string));
    await this.bulk(seats, changes);
    await this.insertAll(seats, fresh);

    const peakUpdates: AnyBulkWriteOperation<Doc>[] = [];
    for (const [eventId, peaks] of peaksByEvent) {
      if (stringify(events.get(eventId)?.seatPeaks ?? null) === stringify(peaks)) continue;
      peakUpdates.push({ updateOne: { filter: { _id: eventId }, update: { $set: { seatPeaks: peaks } } } });
    }
    await this.bulk(this.collection(COLLECTIONS.events), peakUpdates);
    return {
      events: events.size,
      slots: wanted.size,
      written: fresh.length + changes.filter((op) => 'replaceOne' in op).length,
      removed: changes.filter((op) => 'deleteOne' in op).length,
      peaks: peakUpdates.length,
    };
  }

  /**
   * A booking's scans in arrival order (receipt time, then HLC and id): slot documents
   * `<bookingId>#0…` where updates are not isolated (scan-slots.ts reads them gap-free from #0),
   * the `scans` array on the booking where they are (checkins.ts pushes onto it).
   */
  private async rebuildScans(): Promise<{
    bookings: number;
    scans: number;
    where: string;
    written: number;
    removed: number;
  }> {
    const byBooking = new Map<string, Array<ScanFact & { receivedAt: string }>>();
    for await (const doc of this.collection(COLLECTIONS.checkins).find(
      {},
      { projection: { bookingId: 1, direction: 1, voids: 1, hlc: 1, gate: 1, receivedAt: 1 } },
    )) {
      const list = byBooking.get(doc.bookingId as string) ?? [];
      list.push({
        checkinId: doc._id as string,
        direction: doc.direction as ScanFact['direction'],
        hlc: doc.hlc as string,
        gate: doc.gate as string,
        ...(typeof doc.voids === 'string' ? { voids: doc.voids } : {}),
        receivedAt: doc.receivedAt as string,
      });
      byBooking.set(doc.bookingId as string, list);
    }
    const ordered = new Map<string, ScanFact[]>();
    let scans = 0;
    for (const [bookingId, list] of byBooking) {
      list.sort((a, b) =>
        a.receivedAt !== b.receivedAt
          ? a.receivedAt < b.receivedAt
            ? -1
            : 1
          : a.hlc !== b.hlc
            ? a.hlc < b.hlc
              ? -1
              : 1
            : a.checkinId < b.checkinId
              ? -1
              : 1,
      );
      ordered.set(
        bookingId,
        list.map(({ receivedAt: _receivedAt, ...fact }) => fact),
      );
      scans += list.length;
    }
    if (this.capabilities.isolatedUpdates) {
      const bookings = this.collection(COLLECTIONS.bookings);
      const updates: AnyBulkWriteOperation<Doc>[] = [];
      for (const ids of chunks([...ordered.keys()], INSERT_CHUNK)) {
        for (const doc of await bookings.find({ _id: { $in: ids } }, { projection: { scans: 1 } }).toArray()) {
          const want = ordered.get(doc._id as string)!;
          if (stringify(doc.scans ?? null) !== stringify(want)) {
            updates.push({ updateOne: { filter: { _id: doc._id }, update: { $set: { scans: want } } } });
          }
        }
      }
      await this.bulk(bookings, updates);
      return { bookings: ordered.size, scans, where: 'booking.scans', written: updates.length, removed: 0 };
    }
    const wanted = new Map<string, Doc>();
    for (const [bookingId, facts] of ordered) {
      facts.forEach((fact, index) => {
        const _id = `${bookingId}#${index}`;
        wanted.set(_id, { _id, bookingId, ...fact });
      });
    }
    const slots = this.collection(COLLECTIONS.checkinSlots);
    const replace: AnyBulkWriteOperation<Doc>[] = [];
    const present = new Set<string>();
    for await (const doc of slots.find({})) {
      const want = wanted.get(doc._id as string);
      if (!want) {
        replace.push({ deleteOne: { filter: { _id: doc._id } } });
        continue;
      }
      present.add(want._id as string);
      if (
        doc.bookingId !== want.bookingId ||
        doc.checkinId !== want.checkinId ||
        doc.direction !== want.direction ||
        doc.hlc !== want.hlc ||
        doc.gate !== want.gate ||
        doc.voids !== want.voids
      ) {
        const { _id, ...fields } = want;
        replace.push({ replaceOne: { filter: { _id }, replacement: fields } });
      }
    }
    const fresh = [...wanted.values()].filter((doc) => !present.has(doc._id as string));
    await this.bulk(slots, replace);
    await this.insertAll(slots, fresh);
    return {
      bookings: ordered.size,
      scans,
      where: 'checkinSlots',
      written: fresh.length + replace.filter((op) => 'replaceOne' in op).length,
      removed: replace.filter((op) => 'deleteOne' in op).length,
    };
  }

  /**
   * Import claims (import-claims.ts) for the bookings an import would match: every booking with an
   * external id, and of the bookings without one, per event, email and folded name the one the
   * matcher picks (a confirmed one first), each as the first generation of its key. Claims that
   * are there already are left as they are (a later generation may name a newer booking).
   */
  private async rebuildImportClaims(): Promise<{ claims: number; written: number }> {
    const wanted = new Map<string, Doc & { confirmed: boolean }>();
    for await (const doc of this.collection(COLLECTIONS.bookings).find(
      {},
      { projection: { eventId: 1, externalId: 1, attendee: 1, status: 1 } },
    )) {
      const key = bookingMatchKey({
        externalId: doc.externalId as string | null | undefined,
        attendee: doc.attendee as { name: string; email?: string },
      });
      if (key === null) continue;
      const _id = importClaimId(doc.eventId as string, key, 0);
      const confirmed = doc.status === 'confirmed';
      const before = wanted.get(_id);
      if (before && (before.confirmed || !confirmed)) continue;
      wanted.set(_id, { _id, eventId: doc.eventId as string, bookingId: doc._id, at: new Date(), confirmed });
    }
    const claims = this.collection(COLLECTIONS.importClaims);
    const present = new Set<string>();
    for (const ids of chunks([...wanted.keys()], INSERT_CHUNK)) {
      for (const doc of await claims.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()) {
        present.add(doc._id);
      }
    }
    const fresh = [...wanted.values()]
      .filter((doc) => !present.has(doc._id))
      .map(({ confirmed: _confirmed, ...doc }) => doc);
    await this.insertAll(claims, fresh);
    return { claims: wanted.size, written: fresh.length };
  }

  /** The unique claim of each rotated token (where rotation claims are inserts, sessions.ts). */
  private async rebuildRotations(): Promise<{ rotated: number; written: number }> {
    const rotations = this.collection(COLLECTIONS.refreshTokenRotations);
    const wanted: Doc[] = [];
    for await (const doc of this.collection(COLLECTIONS.refreshTokens).find(
      { rotatedAt: { $ne: null } },
      { projection: { familyId: 1, rotatedAt: 1 } },
    )) {
      if (doc.rotatedAt instanceof Date) wanted.push({ _id: doc._id, familyId: doc.familyId, at: doc.rotatedAt });
    }
    let written = 0;
    for (const chunk of chunks(wanted, INSERT_CHUNK)) {
      try {
        written += (await rotations.insertMany(chunk, { ordered: false })).insertedCount;
      } catch (error) {
        const failures = writeErrorsOf(error);
        if (!failures || failures.some((failure) => failure.code !== 11000)) throw error;
        written += chunk.length - failures.length;
      }
    }
    return { rotated: wanted.length, written };
  }

  private async insertAll(collection: Collection<Doc>, docs: Doc[]): Promise<void> {
    for (const chunk of chunks(docs, INSERT_CHUNK)) await collection.insertMany(chunk, { ordered: false });
  }

  async close(): Promise<void> {
    for (const walk of this.walks.values()) await walk.cursor.close().catch(() => undefined);
    this.walks.clear();
    await this.client.close();
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
