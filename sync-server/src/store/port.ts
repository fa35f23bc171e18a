import type { AlertRepository } from './port/alerts';
import type { BlobRepository } from './port/blobs';
import type { BookingRepository } from './port/bookings';
import type { ChangeFeed } from './port/changes';
import type { CheckinRepository } from './port/checkins';
import type { DeviceRepository } from './port/devices';
import type { EmailChangeRepository } from './port/email-changes';
import type { EventRepository } from './port/events';
import type { IdempotencyRepository } from './port/idempotency';
import type { ImportProgressRepository } from './port/import-progress';
import type { LockoutRepository } from './port/lockouts';
import type { MailRepository } from './port/mail';
import type { MutationLedger } from './port/mutations';
import type { RefusalRepository } from './port/refusals';
import type { SecretRepository } from './port/secrets';
import type { SessionRepository } from './port/sessions';
import type { TicketKeyRepository } from './port/ticket-keys';
import type { UserRepository } from './port/users';

// One file per repository (and the types its methods take) under port/; every name is re-exported
// here, so domains and adapters import from this one module.
export * from './port/import-progress';
export * from './port/shared';
export * from './port/secrets';
export * from './port/blobs';
export * from './port/users';
export * from './port/email-changes';
export * from './port/sessions';
export * from './port/lockouts';
export * from './port/devices';
export * from './port/events';
export * from './port/ticket-keys';
export * from './port/bookings';
export * from './port/booking-imports';
export * from './port/idempotency';
export * from './port/checkins';
export * from './port/refusals';
export * from './port/alerts';
export * from './port/mutations';
export * from './port/changes';
export * from './port/mail';

/**
 * The storage port: what the sync server's domains need from a database, one repository per
 * domain, in the domain's own terms. Two adapters implement it — `sqlite/` (the default, embedded)
 * and `mongodb/` (scale-out; also FerretDB) — and one contract suite (`test/store-contract.*`) runs
 * against both.
 *
 * Rules every adapter keeps:
 * - A method is a whole domain operation, atomic as the adapter can make it: on SQLite one
 *   transaction; on MongoDB single-document atomic writes, unique inserts and repair sweeps. The
 *   port has no generic `transaction()`.
 * - Every write a device may see appends its change to the row's bucket (`event:<id>`,
 *   `user:<id>`) with the next `seq`, and bumps the row's `rev`, within the same operation.
 * - Methods that page take `limit` and return up to `limit + 1` rows, so the caller knows whether
 *   another page exists without a count; `after` is the last row's sort key.
 * - Failures a client can act on are `GatehouseError`s with stable codes (see `store/errors.ts`);
 *   a database that is busy, unreachable or full is `SERVICE_UNAVAILABLE` / `SERVER_STORAGE_FULL`
 *   (503), never a 500.
 * - Callbacks passed in (`edit`, `deriveAlerts`, `codes`, `mailFor`, `overCapacityAlert`) are
 *   synchronous, touch nothing outside their result, and are safe to call more than once (they may
 *   stamp the time or draw a random code): an adapter calls them inside a transaction, and again
 *   when it retries.
 */
export interface Store {
  /** `sqlite` or `mongodb`, for logs, `/health` and bench lines. */
  readonly kind: StoreKind;
  /** Where the data lives, for the start-up log: a file path, or a URI without credentials. */
  readonly location: string;
  readonly users: UserRepository;
  readonly emailChanges: EmailChangeRepository;
  readonly sessions: SessionRepository;
  readonly lockouts: LockoutRepository;
  readonly devices: DeviceRepository;
  readonly events: EventRepository;
  readonly ticketKeys: TicketKeyRepository;
  readonly bookings: BookingRepository;
  readonly idempotency: IdempotencyRepository;
  readonly checkins: CheckinRepository;
  readonly alerts: AlertRepository;
  readonly refusals: RefusalRepository;
  readonly mutations: MutationLedger;
  readonly changes: ChangeFeed;
  readonly mail: MailRepository;
  readonly secrets: SecretRepository;
  readonly blobs: BlobRepository;
  readonly importProgress: ImportProgressRepository;
  /** Throws SERVICE_UNAVAILABLE when the database does not answer within ~2 s (`/ready`). */
  ping(): Promise<void>;
  /** Stops the adapter's background work (letting a run in flight finish), then closes the database. */
  close(): Promise<void>;
}

export type StoreKind = 'sqlite' | 'mongodb';
