import type { Document, Filter } from 'mongodb';
import type { RefreshTokenRow } from '../../rows';
import { searchTermsOf } from '../../search-words';
import type { RepositoryName, TransferRows } from '../../transfer';
import { type BlobHeadDoc, toBlobRow } from '../blobs';
import {
  type AlertDoc,
  type BookingDoc,
  type CheckinDoc,
  COLLECTIONS,
  type EventDoc,
  type RefusalDoc,
  type TicketKeyDoc,
  toAlertRow,
  toBookingRow,
  toCheckinRow,
  toEventRow,
  toRefusalRow,
  toTicketKeyRow,
  toUserRow,
  type UserDoc,
} from '../documents';
import { type IdempotencyDoc, toIdempotencyRow } from '../idempotency';

export type Row<R extends RepositoryName> = TransferRows[R];
/** Every document here is keyed by a string `_id`. */
export type Doc = Document & { _id: string };
/** A row as a document: its `_id`, the fields an import sets, and those only a new document gets. */
export type DocOf = { _id: string; set: Document; setOnInsert?: Document };

export type Spec<R extends RepositoryName> = {
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

export const SPECS: { [R in Exclude<RepositoryName, 'changes' | 'mailHandoffs'>]: Spec<R> } = {
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

/** Where mail hand-offs live: on the rows of these kinds (`mailPending`, `mailRev`). */
export const HANDOFF_KINDS = ['booking', 'event'] as const;

/** The export/import description of a repository (every one but `mailHandoffs`). */
export function specOf<R extends RepositoryName>(repository: R): Spec<R> {
  if (repository === 'changes') return CHANGES as unknown as Spec<R>;
  const spec = (SPECS as unknown as Partial<Record<RepositoryName, Spec<R>>>)[repository];
  if (!spec) throw new Error(`The MongoDB store has no exporter for repository ${String(repository)}`);
  return spec;
}
