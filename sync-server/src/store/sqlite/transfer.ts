import type { Attendee } from '@gatehouse/protocol';
import type Database from 'better-sqlite3';
import { searchTermsOf } from '../search-words';
import { REPOSITORY_NAMES, type RepositoryName, type StoreTransfer, type TransferRows } from '../transfer';
import { openDatabase, type SqliteDatabase, type SqliteLog } from './database';
import { bit, parseJson } from './sql';

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

/** Leads each term in `bookings.search_terms`; must match bookings.ts, which reads it back. */
const TERM_MARK = '\u0001';

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

const byId = (key: string) => [key];

const str = (value: unknown) => value as string;
const num = (value: unknown) => value as number;
const strOrNull = (value: unknown) => (value ?? null) as string | null;
const numOrNull = (value: unknown) => (value ?? null) as number | null;

function attendeeOf(name: unknown, email: unknown): Attendee {
  return email === null || email === undefined ? { name: str(name) } : { name: str(name), email: str(email) };
}

/** The search terms of a booking as bookings.ts stores them (a control character never fakes a boundary). */
function termsOf(attendee: Attendee, code: string): string[] {
  return searchTermsOf(attendee, code).map((term) => term.replaceAll(TERM_MARK, ''));
}

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

function buildSpecs(db: Database.Database): Specs {
  const upsert = (table: string, columns: string[], conflict: string[] = [columns[0]!]) => {
    const statement = db.prepare<Record_>(upsertSql(table, columns, conflict));
    return (params: Record_) => void statement.run(params);
  };

  const putSecret = upsert('secrets', ['name', 'value']);
  const putUser = upsert('users', [
    'id',
    'email',
    'name',
    'role',
    'disabled',
    'password_hash',
    'created_at',
    'updated_at',
    'rev',
  ]);
  const putToken = upsert('refresh_tokens', [
    'hash',
    'family_id',
    'user_id',
    'device_id',
    'created_at_ms',
    'expires_at_ms',
    'rotated_at_ms',
    'revoked_at_ms',
  ]);
  const putLockout = upsert('lockouts', ['key', 'failures', 'locked_until_ms', 'updated_at_ms']);
  const putDevice = upsert('devices', [
    'id',
    'user_id',
    'name',
    'first_seen_at',
    'last_seen_at',
    'revoked',
    'revoked_at',
    'clock_offset_ms',
  ]);
  const putEvent = upsert('events', [
    'id',
    'rev',
    'title',
    'description',
    'venue',
    'starts_at',
    'ends_at',
    'starts_at_ms',
    'ends_at_ms',
    'timezone',
    'capacity',
    'status',
    'ticket_types',
    'organizer_id',
    'staff_ids',
    'booked_count',
    'type_sold',
    'field_hlc',
    'created_at',
    'updated_at',
    'deleted_at',
  ]);
  const staffOf = db.prepare<[string], { user_id: string }>('SELECT user_id FROM event_staff WHERE event_id = ?');
  const addStaff = db.prepare('INSERT OR IGNORE INTO event_staff (user_id, event_id) VALUES (?, ?)');
  const removeStaff = db.prepare('DELETE FROM event_staff WHERE user_id = ? AND event_id = ?');
  const putTicketKey = upsert('ticket_keys', [
    'id',
    'event_id',
    'kid',
    'public_key',
    'private_key',
    'created_at',
    'retired_at',
    'rev',
  ]);
  const putBooking = upsert('bookings', [
    'id',
    'event_id',
    'user_id',
    'ticket_type_id',
    'quantity',
    'attendee_name',
    'attendee_email',
    'status',
    'source',
    'over_capacity',
    'code',
    'created_at',
    'cancelled_at',
    'rev',
    'search_terms',
  ]);
  const bookingWords = db.prepare<
    [string],
    { event_id: string; attendee_name: string; attendee_email: string | null; code: string }
  >('SELECT event_id, attendee_name, attendee_email, code FROM bookings WHERE id = ?');
  const addWord = db.prepare('INSERT OR IGNORE INTO booking_words (event_id, term, booking_id) VALUES (?, ?, ?)');
  const removeWord = db.prepare('DELETE FROM booking_words WHERE event_id = ? AND term = ? AND booking_id = ?');
  const putClaim = upsert('idempotency_claims', ['key', 'request_hash', 'booking_id', 'created_at_ms']);
  const putCheckin = upsert('checkins', [
    'id',
    'event_id',
    'booking_id',
    'gate',
    'direction',
    'scanned_at',
    'device_id',
    'staff_id',
    'hlc',
    'received_at',
    'rev',
  ]);
  const putAlert = upsert('alerts', [
    'id',
    'event_id',
    'kind',
    'booking_id',
    'checkin_id',
    'first_checkin_id',
    'message',
    'created_at',
    'rev',
  ]);
  const putMutation = upsert('mutations', [
    'id',
    'user_id',
    'device_id',
    'name',
    'args_hash',
    'hlc',
    'status',
    'result',
    'applied_at_ms',
  ]);
  const putChange = upsert('changes', ['bucket', 'seq', 'type', 'id', 'rev', 'doc'], ['bucket', 'seq']);
  const putMail = upsert('mail', [
    'id',
    'kind',
    'to_address',
    'to_name',
    'subject',
    'html',
    'text',
    'ics',
    'qr_token',
    'event_id',
    'booking_id',
    'status',
    'attempts',
    'claim_seq',
    'next_attempt_at_ms',
    'lease_owner',
    'lease_until_ms',
    'last_error',
    'message_id',
    'created_at_ms',
    'sent_at_ms',
  ]);
  const putHandoff = upsert('mail_handoffs', ['kind', 'row_id', 'items', 'rev'], ['kind', 'row_id']);
  const putFanOut = upsert('mail_fan_outs', ['marker', 'at_ms']);

  return {
    secrets: {
      table: 'secrets',
      columns: '*',
      order: ['name'],
      keyValues: byId,
      toRow: (r) => ({ name: str(r.name), value: str(r.value) }),
      write: (row) => putSecret({ name: row.name, value: row.value }),
    },
    users: {
      table: 'users',
      columns: '*',
      order: ['id'],
      keyValues: byId,
      toRow: (r) => ({
        id: str(r.id),
        rev: num(r.rev),
        email: str(r.email),
        name: str(r.name),
        role: r.role as Row<'users'>['role'],
        disabled: r.disabled === 1,
        passwordHash: str(r.password_hash),
        createdAt: str(r.created_at),
        updatedAt: str(r.updated_at),
      }),
      write: (row) =>
        putUser({
          id: row.id,
          email: row.email,
          name: row.name,
          role: row.role,
          disabled: bit(row.disabled),
          password_hash: row.passwordHash,
          created_at: row.createdAt,
          updated_at: row.updatedAt,
          rev: row.rev,
        }),
    },
    sessions: {
      table: 'refresh_tokens',
      columns: '*',
      order: ['hash'],
      keyValues: byId,
      toRow: (r) => ({
        hash: str(r.hash),
        familyId: str(r.family_id),
        userId: str(r.user_id),
        deviceId: strOrNull(r.device_id),
        createdAtMs: num(r.created_at_ms),
        expiresAtMs: num(r.expires_at_ms),
        rotatedAtMs: numOrNull(r.rotated_at_ms),
        revokedAtMs: numOrNull(r.revoked_at_ms),
      }),
      write: (row) =>
        putToken({
          hash: row.hash,
          family_id: row.familyId,
          user_id: row.userId,
          device_id: row.deviceId,
          created_at_ms: row.createdAtMs,
          expires_at_ms: row.expiresAtMs,
          rotated_at_ms: row.rotatedAtMs,
          revoked_at_ms: row.revokedAtMs,
        }),
    },
    lockouts: {
      table: 'lockouts',
      columns: '*',
      order: ['key'],
      keyValues: byId,
      // No lock is 0 here and null on MongoDB; null is the transfer's spelling of both.
      toRow: (r) => ({
        key: str(r.key),
        failures: num(r.failures),
        lockedUntilMs: num(r.locked_until_ms) > 0 ? num(r.locked_until_ms) : null,
        updatedAtMs: num(r.updated_at_ms),
      }),
      write: (row) =>
        putLockout({
          key: row.key,
          failures: row.failures,
          locked_until_ms: row.lockedUntilMs ?? 0,
          updated_at_ms: row.updatedAtMs,
        }),
    },
    devices: {
      table: 'devices',
      columns: '*',
      order: ['id'],
      keyValues: byId,
      toRow: (r) => ({
        id: str(r.id),
        userId: str(r.user_id),
        name: strOrNull(r.name),
        firstSeenAt: str(r.first_seen_at),
        lastSeenAt: str(r.last_seen_at),
        revoked: r.revoked === 1,
        revokedAt: strOrNull(r.revoked_at),
        clockOffsetMs: numOrNull(r.clock_offset_ms),
      }),
      write: (row) =>
        putDevice({
          id: row.id,
          user_id: row.userId,
          name: row.name,
          first_seen_at: row.firstSeenAt,
          last_seen_at: row.lastSeenAt,
          revoked: bit(row.revoked),
          revoked_at: row.revokedAt,
          clock_offset_ms: row.clockOffsetMs,
        }),
    },
    events: {
      table: 'events',
      columns: '*',
      order: ['id'],
      keyValues: byId,
      toRow: (r) => ({
        id: str(r.id),
        rev: num(r.rev),
        title: str(r.title),
        description: str(r.description),
        venue: str(r.venue),
        startsAt: str(r.starts_at),
        endsAt: str(r.ends_at),
        startsAtMs: num(r.starts_at_ms),
        endsAtMs: num(r.ends_at_ms),
        timezone: str(r.timezone),
        capacity: num(r.capacity),
        status: r.status as Row<'events'>['status'],
        ticketTypes: parseJson(str(r.ticket_types)),
        organizerId: str(r.organizer_id),
        staffIds: parseJson(str(r.staff_ids)),
        bookedCount: num(r.booked_count),
        typeSold: parseJson(str(r.type_sold)),
        fieldHlc: parseJson(str(r.field_hlc)),
        createdAt: str(r.created_at),
        updatedAt: str(r.updated_at),
        deletedAt: strOrNull(r.deleted_at),
      }),
      write: (row) => {
        putEvent({
          id: row.id,
          rev: row.rev,
          title: row.title,
          description: row.description,
          venue: row.venue,
          starts_at: row.startsAt,
          ends_at: row.endsAt,
          starts_at_ms: row.startsAtMs,
          ends_at_ms: row.endsAtMs,
          timezone: row.timezone,
          capacity: row.capacity,
          status: row.status,
          ticket_types: JSON.stringify(row.ticketTypes),
          organizer_id: row.organizerId,
          staff_ids: JSON.stringify(row.staffIds),
          booked_count: row.bookedCount,
          type_sold: JSON.stringify(row.typeSold),
          field_hlc: JSON.stringify(row.fieldHlc),
          created_at: row.createdAt,
          updated_at: row.updatedAt,
          deleted_at: row.deletedAt,
        });
        // event_staff mirrors staff_ids (visibility and accessibleIds read it).
        const wanted = new Set(row.staffIds);
        for (const { user_id } of staffOf.all(row.id)) if (!wanted.has(user_id)) removeStaff.run(user_id, row.id);
        for (const userId of wanted) addStaff.run(userId, row.id);
      },
    },
    ticketKeys: {
      table: 'ticket_keys',
      columns: '*',
      order: ['id'],
      keyValues: byId,
      toRow: (r) => ({
        id: str(r.id),
        rev: num(r.rev),
        eventId: str(r.event_id),
        kid: str(r.kid),
        publicKey: str(r.public_key),
        privateKey: str(r.private_key),
        createdAt: str(r.created_at),
        retiredAt: strOrNull(r.retired_at),
      }),
      write: (row) =>
        putTicketKey({
          id: row.id,
          event_id: row.eventId,
          kid: row.kid,
          public_key: row.publicKey,
          private_key: row.privateKey,
          created_at: row.createdAt,
          retired_at: row.retiredAt,
          rev: row.rev,
        }),
    },
    bookings: {
      table: 'bookings',
      columns:
        'id, event_id, user_id, ticket_type_id, quantity, attendee_name, attendee_email, status, source, ' +
        'over_capacity, code, created_at, cancelled_at, rev',
      order: ['id'],
      keyValues: byId,
      toRow: (r) => ({
        id: str(r.id),
        rev: num(r.rev),
        eventId: str(r.event_id),
        userId: str(r.user_id),
        ticketTypeId: str(r.ticket_type_id),
        quantity: num(r.quantity),
        attendee: attendeeOf(r.attendee_name, r.attendee_email),
        status: r.status as Row<'bookings'>['status'],
        source: r.source as Row<'bookings'>['source'],
        overCapacity: r.over_capacity === 1,
        code: str(r.code),
        createdAt: str(r.created_at),
        cancelledAt: strOrNull(r.cancelled_at),
      }),
      write: (row) => {
        const previous = bookingWords.get(row.id);
        if (previous) {
          for (const term of termsOf(attendeeOf(previous.attendee_name, previous.attendee_email), previous.code)) {
            removeWord.run(previous.event_id, term, row.id);
          }
        }
        const terms = termsOf(row.attendee, row.code);
        putBooking({
          id: row.id,
          event_id: row.eventId,
          user_id: row.userId,
          ticket_type_id: row.ticketTypeId,
          quantity: row.quantity,
          attendee_name: row.attendee.name,
          attendee_email: row.attendee.email ?? null,
          status: row.status,
          source: row.source,
          over_capacity: bit(row.overCapacity),
          code: row.code,
          created_at: row.createdAt,
          cancelled_at: row.cancelledAt,
          rev: row.rev,
          search_terms: TERM_MARK + terms.join(TERM_MARK),
        });
        for (const term of terms) addWord.run(row.eventId, term, row.id);
      },
    },
    idempotency: {
      table: 'idempotency_claims',
      columns: '*',
      order: ['key'],
      keyValues: byId,
      toRow: (r) => ({
        key: str(r.key),
        requestHash: str(r.request_hash),
        bookingId: str(r.booking_id),
        createdAtMs: num(r.created_at_ms),
      }),
      write: (row) =>
        putClaim({
          key: row.key,
          request_hash: row.requestHash,
          booking_id: row.bookingId,
          created_at_ms: row.createdAtMs,
        }),
    },
    checkins: {
      table: 'checkins',
      columns: '*',
      order: ['id'],
      keyValues: byId,
      toRow: (r) => ({
        id: str(r.id),
        rev: num(r.rev),
        eventId: str(r.event_id),
        bookingId: str(r.booking_id),
        gate: str(r.gate),
        direction: r.direction as Row<'checkins'>['direction'],
        scannedAt: str(r.scanned_at),
        deviceId: str(r.device_id),
        staffId: str(r.staff_id),
        hlc: str(r.hlc),
        receivedAt: str(r.received_at),
      }),
      write: (row) =>
        putCheckin({
          id: row.id,
          event_id: row.eventId,
          booking_id: row.bookingId,
          gate: row.gate,
          direction: row.direction,
          scanned_at: row.scannedAt,
          device_id: row.deviceId,
          staff_id: row.staffId,
          hlc: row.hlc,
          received_at: row.receivedAt,
          rev: row.rev,
        }),
    },
    alerts: {
      table: 'alerts',
      columns: '*',
      order: ['id'],
      keyValues: byId,
      toRow: (r) => ({
        id: str(r.id),
        rev: num(r.rev),
        eventId: str(r.event_id),
        kind: r.kind as Row<'alerts'>['kind'],
        bookingId: str(r.booking_id),
        checkinId: strOrNull(r.checkin_id),
        firstCheckinId: strOrNull(r.first_checkin_id),
        message: str(r.message),
        createdAt: str(r.created_at),
      }),
      write: (row) =>
        putAlert({
          id: row.id,
          event_id: row.eventId,
          kind: row.kind,
          booking_id: row.bookingId,
          checkin_id: row.checkinId,
          first_checkin_id: row.firstCheckinId,
          message: row.message,
          created_at: row.createdAt,
          rev: row.rev,
        }),
    },
    mutations: {
      table: 'mutations',
      columns: '*',
      order: ['id'],
      keyValues: byId,
      // One instant here: a mutation is claimed and applied in one transaction. An `applying`
      // entry (imported from MongoDB) keeps its claim time there and has not been applied.
      toRow: (r) => ({
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
      write: (row) =>
        putMutation({
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
    },
    changes: {
      table: 'changes',
      columns: '*',
      order: ['bucket', 'seq'],
      keyValues: (key) => {
        const split = key.lastIndexOf('\u0000');
        return [key.slice(0, split), Number(key.slice(split + 1))];
      },
      toRow: (r) => ({
        bucket: str(r.bucket),
        seq: num(r.seq),
        type: r.type as Row<'changes'>['type'],
        id: str(r.id),
        rev: num(r.rev),
        doc: r.doc === null ? null : (JSON.parse(str(r.doc)) as unknown),
      }),
      write: (row) =>
        putChange({
          bucket: row.bucket,
          seq: row.seq,
          type: row.type,
          id: row.id,
          rev: row.rev,
          doc: row.doc === null || row.doc === undefined ? null : JSON.stringify(row.doc),
        }),
    },
    mail: {
      table: 'mail',
      columns: '*',
      order: ['id'],
      keyValues: byId,
      toRow: (r) => ({
        id: str(r.id),
        kind: r.kind as Row<'mail'>['kind'],
        to: str(r.to_address),
        toName: str(r.to_name),
        subject: str(r.subject),
        html: str(r.html),
        text: str(r.text),
        ics: strOrNull(r.ics),
        qrToken: strOrNull(r.qr_token),
        eventId: str(r.event_id),
        bookingId: strOrNull(r.booking_id),
        status: r.status as Row<'mail'>['status'],
        attempts: num(r.attempts),
        claimSeq: num(r.claim_seq),
        nextAttemptAtMs: num(r.next_attempt_at_ms),
        leaseOwner: strOrNull(r.lease_owner),
        leaseUntilMs: numOrNull(r.lease_until_ms),
        lastError: strOrNull(r.last_error),
        messageId: str(r.message_id),
        createdAtMs: num(r.created_at_ms),
        sentAtMs: numOrNull(r.sent_at_ms),
      }),
      write: (row) =>
        putMail({
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
    },
    mailHandoffs: {
      table: 'mail_handoffs',
      columns: '*',
      // `<kind>:<rowId>`: kinds are `booking` and `event`, so (kind, row_id) order is key order.
      order: ['kind', 'row_id'],
      keyValues: (key) => {
        const split = key.indexOf(':');
        return [key.slice(0, split), key.slice(split + 1)];
      },
      toRow: (r) => ({
        kind: r.kind as Row<'mailHandoffs'>['kind'],
        rowId: str(r.row_id),
        items: parseJson(str(r.items)),
        rev: num(r.rev),
      }),
      write: (row) => putHandoff({ kind: row.kind, row_id: row.rowId, items: JSON.stringify(row.items), rev: row.rev }),
    },
    fanOuts: {
      table: 'mail_fan_outs',
      columns: '*',
      order: ['marker'],
      keyValues: byId,
      toRow: (r) => ({ marker: str(r.marker), atMs: num(r.at_ms) }),
      write: (row) => putFanOut({ marker: row.marker, at_ms: row.atMs }),
    },
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
