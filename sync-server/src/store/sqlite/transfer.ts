import type Database from 'better-sqlite3';
import { REPOSITORY_NAMES, type RepositoryName, type StoreTransfer, type TransferRows } from '../transfer';
import { toAlertParams, toAlertRow } from './alerts';
import { type BlobRecord, toBlobRow } from './blobs';
import { toRefusalParams, toRefusalRow } from './refusals';
import { attendeeOf, bookingTermsOf, searchTermsColumn, toBookingParams, toBookingRow } from './bookings';
import { toCheckinParams, toCheckinRow } from './checkins';
import { openDatabase, type SqliteDatabase, type SqliteLog } from './database';
import { toDeviceRow } from './devices';
import { toEventParams, toEventRow } from './events';
import { toHandoff } from './handoffs';
import { toMailRow } from './mail';
import { toTokenParams, toTokenRow } from './sessions';
import { bit, parseJson } from './sql';
import { toTicketKeyParams, toTicketKeyRow } from './ticket-keys';
import { toUserParams, toUserRow } from './users';

/**
 * StoreTransfer on the embedded store: every repository as plain rows in TRANSFER_KEY order
 * (`exportRows`), and rows written back as they are (`importRows`, an upsert per row, one
 * transaction per call). What the SQLite schema keeps beside the rows is written with them — a
 * booking's search terms and words, an event's staff rows — and the bucket counters are set from
 * the imported change log by `finishImport`.
 *
 * Keys compare as SQLite compares TEXT (bytewise UTF-8), as MongoDB compares strings, so both
 * adapters walk a repository in the same order.
 */
export type SqliteTransfer = StoreTransfer & {
  /** Absolute path of the database file. */
  readonly location: string;
  /** The repositories this adapter can export and import (every one the port declares). */
  readonly repositories: readonly RepositoryName[];
  /** Rows of one repository: a total for progress reports. */
  count(repository: RepositoryName): Promise<number>;
  /** Releases the file and its process lock. */
  close(): Promise<void>;
};

type Row<R extends RepositoryName> = TransferRows[R];
type Record_ = Record<string, unknown>;

/** How one repository maps to its table. `order` is its TRANSFER_KEY as columns. */
type Spec<R extends RepositoryName> = {
  table: string;
  /** Selected columns (a table may hold more, e.g. search terms). */
  columns: string;
  order: string[];
  /** The values of `order` for a key produced by TRANSFER_KEY. */
  keyValues: (key: string) => unknown[];
  toRow: (record: Record_) => Row<R>;
  /** Upserts one row (and what the schema derives from it); runs inside the import's transaction. */
  write: (row: Row<R>) => void;
};

type Specs = { [R in RepositoryName]: Spec<R> };

/**
 * What a repository declares: its table, its key (`order`, also the upsert's conflict target; `id`
 * when not said), and its mapping both ways — the repository module's own mappers where it has them.
 * `write` replaces the plain upsert of `toParams` where the schema keeps more beside the row.
 */
type Mapping<R extends RepositoryName, Rec> = {
  table: string;
  columns?: string;
  order?: string[];
  keyValues?: (key: string) => unknown[];
  toRow: (record: Rec) => Row<R>;
} & ({ toParams: (row: Row<R>) => object } | { write: (row: Row<R>, put: (params: object) => void) => void });

const byId = (key: string) => [key];

const str = (value: unknown) => value as string;
const num = (value: unknown) => value as number;

/** An UPSERT of every column: the row with this key is replaced as a whole (never deleted, so no foreign key fires). */
function upsertSql(table: string, columns: string[], conflict: string[]): string {
  const updates = columns.filter((column) => !conflict.includes(column));
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((column) => `@${column}`).join(', ')})
    ON CONFLICT (${conflict.join(', ')}) DO ${
      updates.length === 0
        ? 'NOTHING'
        : `UPDATE SET ${updates.map((column) => `${column} = excluded.${column}`).join(', ')}`
    }`;
}

/** The Spec of a Mapping: its upsert names the columns its mapper writes (prepared on the first row). */
function specFor<R extends RepositoryName, Rec>(db: Database.Database, mapping: Mapping<R, Rec>): Spec<R> {
  const order = mapping.order ?? ['id'];
  let statement: Database.Statement<[object]> | undefined;
  const put = (params: object) => {
    statement ??= db.prepare<[object]>(upsertSql(mapping.table, Object.keys(params), order));
    statement.run(params);
  };
  return {
    table: mapping.table,
    columns: mapping.columns ?? '*',
    order,
    keyValues: mapping.keyValues ?? byId,
    toRow: (record) => mapping.toRow(record as Rec),
    write: 'write' in mapping ? (row) => mapping.write(row, put) : (row) => put(mapping.toParams(row)),
  };
}

function buildSpecs(db: Database.Database): Specs {
  const staffOf = db.prepare<[string], { user_id: string }>('SELECT user_id FROM event_staff WHERE event_id = ?');
  const addStaff = db.prepare('INSERT OR IGNORE INTO event_staff (user_id, event_id) VALUES (?, ?)');
  const removeStaff = db.prepare('DELETE FROM event_staff WHERE user_id = ? AND event_id = ?');
  const bookingWords = db.prepare<
    [string],
    { event_id: string; attendee_name: string; attendee_email: string | null; code: string }
  >('SELECT event_id, attendee_name, attendee_email, code FROM bookings WHERE id = ?');
  const addWord = db.prepare('INSERT OR IGNORE INTO booking_words (event_id, term, booking_id) VALUES (?, ?, ?)');
  const removeWord = db.prepare('DELETE FROM booking_words WHERE event_id = ? AND term = ? AND booking_id = ?');

  return {
    secrets: specFor(db, {
      table: 'secrets',
      order: ['name'],
      toRow: (r: Record_) => ({ name: str(r.name), value: str(r.value) }),
      toParams: (row) => ({ name: row.name, value: row.value }),
    }),
    users: specFor(db, { table: 'users', toRow: toUserRow, toParams: toUserParams }),
    sessions: specFor(db, { table: 'refresh_tokens', order: ['hash'], toRow: toTokenRow, toParams: toTokenParams }),
    lockouts: specFor(db, {
      table: 'lockouts',
      order: ['key'],
      // No lock is 0 here and null on MongoDB; null is the transfer's spelling of both.
      toRow: (r: Record_) => ({
        key: str(r.key),
        failures: num(r.failures),
        lockedUntilMs: num(r.locked_until_ms) > 0 ? num(r.locked_until_ms) : null,
        updatedAtMs: num(r.updated_at_ms),
      }),
      toParams: (row) => ({
        key: row.key,
        failures: row.failures,
        locked_until_ms: row.lockedUntilMs ?? 0,
        updated_at_ms: row.updatedAtMs,
      }),
    }),
    devices: specFor(db, {
      table: 'devices',
      toRow: toDeviceRow,
      toParams: (row) => ({
        id: row.id,
        user_id: row.userId,
        name: row.name,
        first_seen_at: row.firstSeenAt,
        last_seen_at: row.lastSeenAt,
        revoked: bit(row.revoked),
        revoked_at: row.revokedAt,
        clock_offset_ms: row.clockOffsetMs,
        session_id: row.sessionId,
      }),
    }),
    events: specFor(db, {
      table: 'events',
      toRow: toEventRow,
      write: (row, put) => {
        put(toEventParams(row));
        // event_staff mirrors staff_ids (visibility and accessibleIds read it).
        const wanted = new Set(row.staffIds);
        for (const { user_id } of staffOf.all(row.id)) if (!wanted.has(user_id)) removeStaff.run(user_id, row.id);
        for (const userId of wanted) addStaff.run(userId, row.id);
      },
    }),
    ticketKeys: specFor(db, { table: 'ticket_keys', toRow: toTicketKeyRow, toParams: toTicketKeyParams }),
    bookings: specFor(db, {
      table: 'bookings',
      columns:
        'id, event_id, user_id, ticket_type_id, quantity, attendee_name, attendee_email, status, source, ' +
        'over_capacity, code, created_at, cancelled_at, erased_at, rev, photo_id, external_id, ordered_at',
      toRow: toBookingRow,
      write: (row, put) => {
        const previous = bookingWords.get(row.id);
        if (previous) {
          const attendee = attendeeOf(previous.attendee_name, previous.attendee_email);
          for (const term of bookingTermsOf(attendee, previous.code)) removeWord.run(previous.event_id, term, row.id);
        }
        const terms = bookingTermsOf(row.attendee, row.code);
        put(toBookingParams(row, searchTermsColumn(terms)));
        for (const term of terms) addWord.run(row.eventId, term, row.id);
      },
    }),
    idempotency: specFor(db, {
      table: 'idempotency_claims',
      order: ['key'],
      toRow: (r: Record_) => ({
        key: str(r.key),
        requestHash: str(r.request_hash),
        resourceId: str(r.resource_id),
        createdAtMs: num(r.created_at_ms),
        answer:
          r.answer_status === null || r.answer_body === null
            ? null
            : { status: num(r.answer_status), body: str(r.answer_body) },
      }),
      toParams: (row) => ({
        key: row.key,
        request_hash: row.requestHash,
        resource_id: row.resourceId,
        created_at_ms: row.createdAtMs,
        answer_status: row.answer?.status ?? null,
        answer_body: row.answer?.body ?? null,
      }),
    }),
    checkins: specFor(db, { table: 'checkins', toRow: toCheckinRow, toParams: toCheckinParams }),
    alerts: specFor(db, { table: 'alerts', toRow: toAlertRow, toParams: toAlertParams }),
    refusals: specFor(db, { table: 'refusals', toRow: toRefusalRow, toParams: toRefusalParams }),
    mutations: specFor(db, {
      table: 'mutations',
      // One instant here: a mutation is claimed and applied in one transaction. An `applying`
      // entry (imported from MongoDB) keeps its claim time there and has not been applied.
      toRow: (r: Record_) => ({
        id: str(r.id),
        userId: str(r.user_id),
        deviceId: str(r.device_id),
        name: str(r.name),
        argsHash: str(r.args_hash),
        hlc: str(r.hlc),
        status: r.status as Row<'mutations'>['status'],
        result: r.result === null ? null : parseJson(str(r.result)),
        claimedAtMs: num(r.applied_at_ms),
        appliedAtMs: r.status === 'done' ? num(r.applied_at_ms) : null,
      }),
      toParams: (row) => ({
        id: row.id,
        user_id: row.userId,
        device_id: row.deviceId,
        name: row.name,
        args_hash: row.argsHash,
        hlc: row.hlc,
        status: row.status,
        result: row.result === null ? null : JSON.stringify(row.result),
        applied_at_ms: row.appliedAtMs ?? row.claimedAtMs,
      }),
    }),
    changes: specFor(db, {
      table: 'changes',
      order: ['bucket', 'seq'],
      keyValues: (key) => {
        const split = key.lastIndexOf('\u0000');
        return [key.slice(0, split), Number(key.slice(split + 1))];
      },
      toRow: (r: Record_) => ({
        bucket: str(r.bucket),
        seq: num(r.seq),
        type: r.type as Row<'changes'>['type'],
        id: str(r.id),
        rev: num(r.rev),
        doc: r.doc === null ? null : (JSON.parse(str(r.doc)) as unknown),
      }),
      toParams: (row) => ({
        bucket: row.bucket,
        seq: row.seq,
        type: row.type,
        id: row.id,
        rev: row.rev,
        doc: row.doc === null || row.doc === undefined ? null : JSON.stringify(row.doc),
      }),
    }),
    mail: specFor(db, {
      table: 'mail',
      toRow: toMailRow,
      toParams: (row) => ({
        id: row.id,
        kind: row.kind,
        to_address: row.to,
        to_name: row.toName,
        subject: row.subject,
        html: row.html,
        text: row.text,
        ics: row.ics,
        qr_token: row.qrToken,
        event_id: row.eventId,
        booking_id: row.bookingId,
        status: row.status,
        attempts: row.attempts,
        claim_seq: row.claimSeq,
        next_attempt_at_ms: row.nextAttemptAtMs,
        lease_owner: row.leaseOwner,
        lease_until_ms: row.leaseUntilMs,
        last_error: row.lastError,
        message_id: row.messageId,
        created_at_ms: row.createdAtMs,
        sent_at_ms: row.sentAtMs,
      }),
    }),
    mailHandoffs: specFor(db, {
      table: 'mail_handoffs',
      // `<kind>:<rowId>`: kinds are `booking` and `event`, so (kind, row_id) order is key order.
      order: ['kind', 'row_id'],
      keyValues: (key) => {
        const split = key.indexOf(':');
        return [key.slice(0, split), key.slice(split + 1)];
      },
      toRow: toHandoff,
      toParams: (row) => ({ kind: row.kind, row_id: row.rowId, items: JSON.stringify(row.items), rev: row.rev }),
    }),
    fanOuts: specFor(db, {
      table: 'mail_fan_outs',
      order: ['marker'],
      toRow: (r: Record_) => ({ marker: str(r.marker), atMs: num(r.at_ms) }),
      toParams: (row) => ({ marker: row.marker, at_ms: row.atMs }),
    }),
    blobs: specFor(db, {
      table: 'blobs',
      toRow: (record: BlobRecord) => ({ ...toBlobRow(record), dataBase64: record.data.toString('base64') }),
      toParams: (row): BlobRecord => ({
        id: row.id,
        content_type: row.contentType,
        byte_length: row.byteLength,
        sha256: row.sha256,
        created_at: row.createdAt,
        data: Buffer.from(row.dataBase64, 'base64'),
      }),
    }),
  };
}

type Prepared = {
  first: Database.Statement<[number], Record_>;
  after: Database.Statement<unknown[], Record_>;
  count: Database.Statement<[], { n: number }>;
};

function prepare(db: Database.Database, spec: Spec<RepositoryName>): Prepared {
  const order = spec.order.join(', ');
  const select = `SELECT ${spec.columns} FROM ${spec.table}`;
  const placeholders = spec.order.map(() => '?').join(', ');
  return {
    first: db.prepare(`${select} ORDER BY ${order} LIMIT ?`),
    after: db.prepare(`${select} WHERE (${order}) > (${placeholders}) ORDER BY ${order} LIMIT ?`),
    count: db.prepare(`SELECT count(*) AS n FROM ${spec.table}`),
  };
}

/** StoreTransfer over an open database (the caller owns it). */
export function sqliteTransfer(database: SqliteDatabase): Omit<SqliteTransfer, 'close'> {
  const specs = buildSpecs(database.db);
  const prepared = new Map<RepositoryName, Prepared>();
  const statementsOf = (repository: RepositoryName): Prepared => {
    let found = prepared.get(repository);
    if (!found) {
      const spec = specOf(repository);
      found = prepare(database.db, spec as Spec<RepositoryName>);
      prepared.set(repository, found);
    }
    return found;
  };
  const specOf = <R extends RepositoryName>(repository: R): Spec<R> => {
    const spec = (specs as Partial<Specs>)[repository] as Spec<R> | undefined;
    if (!spec) throw new Error(`The SQLite store has no exporter for repository ${String(repository)}`);
    return spec;
  };
  const setBuckets = database.db.prepare(
    `INSERT INTO buckets (bucket, seq) SELECT bucket, max(seq) FROM changes WHERE true GROUP BY bucket
     ON CONFLICT (bucket) DO UPDATE SET seq = max(buckets.seq, excluded.seq)`,
  );

  return {
    location: database.file,
    repositories: REPOSITORY_NAMES.filter((name) => name in specs),
    count: (repository) => database.read(() => statementsOf(repository).count.get()!.n),
    exportRows: (repository, afterKey, limit) =>
      database.read(() => {
        const spec = specOf(repository);
        const statements = statementsOf(repository);
        const take = Math.max(0, Math.floor(limit));
        const records =
          afterKey === null ? statements.first.all(take) : statements.after.all(...spec.keyValues(afterKey), take);
        return records.map((record) => spec.toRow(record));
      }),
    importRows: (repository, rows) => {
      const spec = specOf(repository);
      if (rows.length === 0) return Promise.resolve();
      return database.write(() => {
        for (const row of rows) spec.write(row);
      });
    },
    // The change log's counters: each bucket continues after its highest imported seq.
    finishImport: () => database.write(() => void setBuckets.run()),
  };
}

/**
 * Opens a store file for a whole-store copy: the same open as a server's (the one-process lock,
 * the refusal of a foreign or newer file, pending migrations), so a running server's file is
 * refused with a message that says so. Creates the file when it does not exist (an import target).
 */
export function openSqliteTransfer(options: { file: string; log?: SqliteLog }): SqliteTransfer {
  const database = openDatabase({ file: options.file, log: options.log, backgroundCheckpoints: false });
  return { ...sqliteTransfer(database), close: () => database.close() };
}
