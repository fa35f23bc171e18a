import { IDEMPOTENCY_KEY_TTL_HOURS } from '@gatehouse/protocol';
import { storeErrors } from '../errors';
import type { Store } from '../port';
import { SqliteAlerts } from './alerts';
import { SqliteRefusals } from './refusals';
import { SqliteBlobs } from './blobs';
import { SqliteImportProgress } from './import-progress';
import { SqliteBookingImports } from './booking-imports';
import { SqliteBookings } from './bookings';
import { ChangeLog, changeFeed } from './changes';
import { SqliteCheckins } from './checkins';
import { openDatabase, type SqliteLog } from './database';
import { SqliteDevices } from './devices';
import { SqliteEmailChanges } from './email-changes';
import { SqliteErasure } from './erasure';
import { SqliteEvents } from './events';
import { Handoffs } from './handoffs';
import { SqliteIdempotency } from './idempotency';
import { SqliteLedger } from './ledger';
import { SqliteLockouts } from './lockouts';
import { SqliteMail } from './mail';
import { SqliteSecrets } from './secrets';
import { SqliteSessions } from './sessions';
import { SqliteTicketKeys } from './ticket-keys';
import { SqliteUsers } from './users';

export { GATEHOUSE_APPLICATION_ID } from './database';
export type { SqliteLog } from './database';
export { openSqliteTransfer, type SqliteTransfer } from './transfer';
export {
  backupSqliteStore,
  inspectStoreFile,
  restoreSqliteStore,
  type BackupReport,
  type RestoreReport,
  type StoreFileFacts,
} from './backup';

export type SqliteStoreOptions = {
  /** The database file; created with its directory when missing. `<file>.lock` is its process lock. */
  file: string;
  log?: SqliteLog;
  /** Test hook: caps the file at this many pages (clamped up to what it holds), to simulate a full disk. */
  maxPageCount?: number;
};

/**
 * How often expired refresh tokens, idle lockout counters and forgotten Idempotency-Keys are purged
 * (the MongoDB TTL indexes' job).
 */
const PURGE_INTERVAL_MS = 60 * 60_000;

/**
 * Opens the embedded store: one SQLite file owned by this process (a second process, or a second
 * open here, is refused). Throws an Error naming the file when it is in use, foreign, damaged or
 * written by a newer server.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const database = openDatabase(options);
  const changes = new ChangeLog(database);
  const handoffs = new Handoffs(database);
  const ticketKeys = new SqliteTicketKeys(database, changes);
  const events = new SqliteEvents(database, changes, handoffs, ticketKeys);
  const alerts = new SqliteAlerts(database, changes);
  const bookings = new SqliteBookings(database, changes, events, alerts, handoffs);
  const bookingImports = new SqliteBookingImports(database, changes, bookings, events);
  const erasure = new SqliteErasure(database, changes, bookings);
  const checkins = new SqliteCheckins(database, changes, bookings, alerts);
  const refusals = new SqliteRefusals(database, changes);
  const ledger = new SqliteLedger(database, checkins, refusals, bookings, events, alerts);
  const sessions = new SqliteSessions(database);
  const lockouts = new SqliteLockouts(database);
  const idempotency = new SqliteIdempotency(database);
  const users = new SqliteUsers(database, changes);
  const ping = database.db.prepare('SELECT 1');

  const purge = () => {
    if (!database.isOpen) return;
    try {
      const nowMs = Date.now();
      database.transaction(() => {
        sessions.purge(nowMs);
        lockouts.purge(nowMs);
        idempotency.purge(nowMs - IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000);
      });
    } catch (error) {
      database.log.warn({ err: error }, 'purging expired sessions failed; will try again');
    }
  };
  purge();
  const purgeTimer = setInterval(purge, PURGE_INTERVAL_MS);
  purgeTimer.unref();

  let closing: Promise<void> | null = null;
  return {
    kind: 'sqlite',
    location: database.file,
    secrets: new SqliteSecrets(database).repository(),
    blobs: new SqliteBlobs(database).repository(),
    importProgress: new SqliteImportProgress(database).repository(),
    users: users.repository(),
    emailChanges: new SqliteEmailChanges(database, users).repository(),
    sessions: sessions.repository(),
    lockouts: lockouts.repository(),
    devices: new SqliteDevices(database).repository(),
    events: events.repository(),
    ticketKeys: ticketKeys.repository(),
    bookings: {
      ...bookings.repository(),
      importRows: (chunk) => bookingImports.importRows(chunk),
      erase: (id, input) => database.write(() => erasure.erase(id, input)),
      listNotErased: (eventId, limit) => database.read(() => erasure.listNotErased(eventId, limit)),
    },
    idempotency: idempotency.repository(),
    checkins: checkins.repository(),
    alerts: alerts.repository(),
    refusals: refusals.repository(),
    mutations: ledger.repository(),
    changes: changeFeed(database, changes),
    mail: new SqliteMail(database, handoffs).repository(),
    ping: () =>
      database.read(() => {
        if (ping.get() === undefined) throw storeErrors.unavailable();
      }),
    close: () => {
      closing ??= (async () => {
        clearInterval(purgeTimer);
        await ledger.drain();
        await database.close();
      })();
      return closing;
    },
  };
}
