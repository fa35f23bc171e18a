import { storeErrors } from '../errors';
import { editSuperseded, type OpOutcome, type StoreOp, type Store } from '../port';
import { MongoAlerts } from './alerts';
import { MongoBlobs } from './blobs';
import { MongoImportProgress } from './import-progress';
import { MongoBookings } from './bookings';
import { detectCapabilities, type MongoCapabilities } from './capabilities';
import { ChangeLog } from './changelog';
import { MongoChangeFeed } from './changes';
import { MongoCheckins } from './checkins';
import { type CommandListener, connectMongo, locationOf, pingWithin } from './connection';
import type { MongoStoreLog, StoreContext } from './context';
import { MongoDevices } from './devices';
import { guarded, translateError } from './errors';
import { MongoEvents } from './events';
import { MongoIdempotency } from './idempotency';
import { ensureIndexes } from './indexes';
import { MongoLedger } from './ledger';
import { MongoEmailChanges } from './email-changes';
import { MongoLockouts } from './lockouts';
import { MongoMail } from './mail';
import { MongoRefusals } from './refusals';
import { BLOB_SWEEP_INTERVAL_MS, LOG_REPAIR_INTERVAL_MS, Maintenance, SLOW_REPAIR_INTERVAL_MS } from './maintenance';
import { upgradeSearchTerms } from './search-upgrade';
import { RowLock } from './row-lock';
import { SeatLedger } from './seats';
import { MongoSecrets } from './secrets';
import { MongoSessions } from './sessions';
import { MongoTicketKeys } from './ticket-keys';
import { MongoUsers } from './users';

export type { MongoCapabilities } from './capabilities';
export { FERRETDB_CAPABILITIES, MONGODB_CAPABILITIES } from './capabilities';
export { openMongoTransfer, type MongoTransfer, type MongoTransferOptions } from './transfer';

export type MongoStoreOptions = {
  /** A MongoDB connection string (credentials allowed; they are never logged). */
  uri: string;
  dbName: string;
  log?: MongoStoreLog;
  /** How old a change-log hole must be before a reader fills it (default 5 s); lowered by tests. */
  gapTimeoutMs?: number;
  /**
   * Overrides single detected capabilities: a test runs MongoDB's straight path on FerretDB with
   * one writer. Never set in production — a capability claimed that the database lacks loses writes.
   */
  capabilities?: Partial<MongoCapabilities>;
  /** Called with each database command as it starts (driver command monitoring): tests count them. */
  onCommand?: CommandListener;
  /** How often `changes.watch` looks for other processes' commits (default 50 ms). */
  watchPollMs?: number;
  /**
   * Test hook: how long a push's claim may stay `applying` before another request takes it over
   * (default CLAIM_LEASE_MS, 10 s), lowered by a test that waits one out. Never in production.
   */
  claimLeaseMs?: number;
  /**
   * Test hook: false leaves the repairs (change-log marks, seat holds, recounts) off, at open and on
   * their timers, for a test that counts the database commands of one operation. Never in production.
   */
  repairs?: boolean;
};

/** The MongoDB adapter, and what it detected of its database. */
export type MongoStore = Store & { readonly capabilities: MongoCapabilities };

const SILENT: MongoStoreLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Opens the MongoDB (or FerretDB) store: connects, detects the database's capabilities once,
 * ensures every index, brings stored search words to the current folding (search-upgrade.ts),
 * runs the repairs a stopped process may have left (change-log marks, seat
 * holds, recounts) and keeps running them on timers until `close`.
 */
export async function openMongoStore(options: MongoStoreOptions): Promise<MongoStore> {
  const log = options.log ?? SILENT;
  const { client, db } = await connectMongo(options.uri, options.dbName, options.onCommand).catch((error: unknown) => {
    throw translateError(error);
  });
  try {
    const capabilities = await detectCapabilities(db, options.capabilities);
    const rowLock = new RowLock(!capabilities.isolatedUpdates);
    const changeLog = new ChangeLog(db, {
      capabilities,
      rowLock,
      ...(options.gapTimeoutMs !== undefined ? { gapTimeoutMs: options.gapTimeoutMs } : {}),
      onError: (error, message) => log.warn({ err: error }, message),
    });
    const context: StoreContext = { db, capabilities, rowLock, changeLog, log };

    const alerts = new MongoAlerts(context);
    const ticketKeys = new MongoTicketKeys(context);
    const events = new MongoEvents(context, ticketKeys);
    const seats = new SeatLedger(context);
    const bookings = new MongoBookings(context, events, seats, events.recounts, alerts);
    const checkins = new MongoCheckins(context, alerts);
    const refusals = new MongoRefusals(context);
    const users = new MongoUsers(context);
    const runOp = async (op: StoreOp): Promise<OpOutcome> => {
      switch (op.kind) {
        case 'recordCheckIn':
          return { superseded: false, hlc: (await checkins.record(op.row, op.deriveAlerts)).row.hlc };
        case 'recordRefusal':
          return { superseded: false, hlc: (await refusals.record(op.row)).row.hlc };
        case 'acknowledgeAlert':
          await alerts.acknowledge(op.alertId, op.eventId, op.acknowledgement);
          return { superseded: false, hlc: op.acknowledgement.hlc };
        case 'book':
          await bookings.book(op.input);
          return { superseded: false, hlc: null };
        case 'cancelBooking':
          if (!(await bookings.cancel(op.bookingId, op.at, op.mailFor)))
            throw storeErrors.bookingNotInEvent(op.bookingId);
          return { superseded: false, hlc: null };
        case 'updateEvent': {
          const row = await events.update(op.eventId, op.edit);
          if (!row) throw storeErrors.eventNotFound();
          return { superseded: editSuperseded(row, op.hlc), hlc: op.hlc };
        }
      }
    };
    const ledger = new MongoLedger(
      context,
      runOp,
      async (ops) =>
        (await checkins.recordMany(ops)).map((outcome) =>
          outcome instanceof Error ? outcome : { superseded: false, hlc: outcome.row.hlc },
        ),
      options.claimLeaseMs,
    );
    const changes = new MongoChangeFeed(changeLog, events.recounts, log, options.watchPollMs);

    await ensureIndexes(db, capabilities, changeLog.marksRows);
    const refolded = await upgradeSearchTerms(db, capabilities);
    if (refolded > 0) log.info({ bookings: refolded }, 'search words folded again (search folding upgrade)');
    const blobs = new MongoBlobs(context);
    const maintenance = new Maintenance(
      [
        {
          name: 'change log',
          intervalMs: LOG_REPAIR_INTERVAL_MS,
          run: async () => {
            let repaired = 0;
            for (const target of changeLog.loggedCollections) repaired += await changeLog.repairPending(target);
            return repaired;
          },
        },
        { name: 'seats', intervalMs: SLOW_REPAIR_INTERVAL_MS, run: () => bookings.repairSeats() },
        { name: 'recounts', intervalMs: SLOW_REPAIR_INTERVAL_MS, run: () => events.recounts.repair() },
        { name: 'blob chunks', intervalMs: BLOB_SWEEP_INTERVAL_MS, run: () => blobs.sweepOrphans() },
      ],
      log,
    );
    if (options.repairs !== false) await maintenance.start();
    log.info({ capabilities }, 'MongoDB store open');

    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= (async () => {
        await maintenance.stop();
        await changes.stop();
        await events.recounts.drain();
        await changeLog.close();
        await client.close();
      })();
      return closing;
    };

    return {
      kind: 'mongodb',
      location: locationOf(options.uri, options.dbName),
      capabilities,
      users: guarded(users),
      emailChanges: guarded(new MongoEmailChanges(context, users)),
      sessions: guarded(new MongoSessions(context)),
      lockouts: guarded(new MongoLockouts(context)),
      devices: guarded(new MongoDevices(context)),
      events: guarded(events),
      ticketKeys: guarded(ticketKeys),
      bookings: guarded(bookings),
      idempotency: guarded(new MongoIdempotency(context)),
      checkins: guarded(checkins),
      alerts: guarded(alerts),
      refusals: guarded(refusals),
      mutations: guarded(ledger),
      changes: guarded(changes),
      mail: guarded(new MongoMail(context)),
      secrets: guarded(new MongoSecrets(context)),
      blobs: guarded(blobs),
      importProgress: guarded(new MongoImportProgress(context)),
      ping: () => pingWithin(db),
      close,
    };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw translateError(error);
  }
}
