import type { IdempotentAnswer, LedgerEntry } from './port';
import type {
  AlertRow,
  BlobRow,
  BookingRow,
  ChangeRow,
  CheckinRow,
  DeviceRow,
  EventRow,
  MailHandoff,
  MailRow,
  RefreshTokenRow,
  RefusalRow,
  StoredResult,
  TicketKeyRow,
  UserRow,
} from './rows';

/**
 * Copying a whole store to another (`npm run store:migrate`): every repository the port declares,
 * as plain rows, so an organisation that outgrows one machine moves its SQLite store into MongoDB
 * with every seq, session and revocation intact. Each adapter exports and imports each kind; what
 * an adapter keeps beside the rows (MongoDB's seat and scan slots, bucket counters) is rebuilt
 * from the imported rows by `finishImport`, never copied.
 */
export type TransferRows = {
  users: UserRow;
  sessions: RefreshTokenRow;
  lockouts: { key: string; failures: number; lockedUntilMs: number | null; updatedAtMs: number };
  devices: DeviceRow;
  events: EventRow;
  ticketKeys: TicketKeyRow;
  bookings: BookingRow;
  idempotency: {
    key: string;
    requestHash: string;
    resourceId: string;
    createdAtMs: number;
    answer: IdempotentAnswer | null;
  };
  checkins: CheckinRow;
  alerts: AlertRow;
  refusals: RefusalRow;
  mutations: LedgerEntry & { result: StoredResult | null; claimedAtMs: number; appliedAtMs: number | null };
  changes: ChangeRow;
  mail: MailRow;
  mailHandoffs: MailHandoff;
  fanOuts: { marker: string; atMs: number };
  /** Secrets the server derives tokens and cursors from (`jwt`), so sessions and cursors stay valid. */
  secrets: { name: string; value: string };
  /** Stored photos with their bytes (base64: rows are JSON-able; a photo is a few hundred kB at most). */
  blobs: BlobRow & { dataBase64: string };
};

export type RepositoryName = keyof TransferRows;

/** In copy order: rows that others refer to first. */
export const REPOSITORY_NAMES: RepositoryName[] = [
  'secrets',
  'users',
  'sessions',
  'lockouts',
  'devices',
  'events',
  'ticketKeys',
  'bookings',
  'idempotency',
  'checkins',
  'alerts',
  'refusals',
  'mutations',
  'changes',
  'mail',
  'mailHandoffs',
  'fanOuts',
  'blobs',
];

/** The stable key of a row of each repository: export order, resume point and idempotent import. */
export const TRANSFER_KEY: { [R in RepositoryName]: (row: TransferRows[R]) => string } = {
  secrets: (row) => row.name,
  users: (row) => row.id,
  sessions: (row) => row.hash,
  lockouts: (row) => row.key,
  devices: (row) => row.id,
  events: (row) => row.id,
  ticketKeys: (row) => row.id,
  bookings: (row) => row.id,
  idempotency: (row) => row.key,
  checkins: (row) => row.id,
  alerts: (row) => row.id,
  refusals: (row) => row.id,
  mutations: (row) => row.id,
  // Zero-padded, so key order is (bucket, seq) order.
  changes: (row) => `${row.bucket}\u0000${String(row.seq).padStart(16, '0')}`,
  mail: (row) => row.id,
  mailHandoffs: (row) => `${row.kind}:${row.rowId}`,
  fanOuts: (row) => row.marker,
  blobs: (row) => row.id,
};

export interface StoreTransfer {
  /**
   * Up to `limit` rows of `repository` whose key (TRANSFER_KEY) is greater than `afterKey`, in key
   * order (a resumable walk). Rows are plain JSON-able data.
   */
  exportRows<R extends RepositoryName>(
    repository: R,
    afterKey: string | null,
    limit: number,
  ): Promise<TransferRows[R][]>;
  /** Writes rows as they are (a row with the same key is replaced): repeating an import is harmless. */
  importRows<R extends RepositoryName>(repository: R, rows: TransferRows[R][]): Promise<void>;
  /** Rebuilds what the adapter keeps beside the rows (counters, slots) from the imported rows. */
  finishImport(): Promise<void>;
}
