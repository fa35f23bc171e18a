import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import pLimit from 'p-limit';
import { storeErrors } from '../errors';
import type { DeriveAlerts, ScanFact } from '../port';
import type { CheckinRow } from '../rows';
import type { MongoAlerts } from './alerts';
import type { LoggedCollection } from './changelog';
import type { StoreContext } from './context';
import { toBookingRow, toCheckinRow, withoutId, type BookingDoc, type CheckinDoc } from './documents';
import { findByIds } from './queries';
import { MAX_SCANS_PER_BOOKING, type ScanSlots } from './scan-slots';

/** One scan of a push's run, as the ledger hands it over (StoreOp `recordCheckIn`). */
export type RunScan = { row: Omit<CheckinRow, 'rev'>; deriveAlerts: DeriveAlerts };

/** A scan recorded, as `CheckinRepository.record` answers it, or the error this scan alone met. */
export type RunOutcome = { row: CheckinRow; repeated: boolean } | Error;

/** Per-scan reads and writes (duplicate ids, slots, alerts) in flight at once for one run. */
const SIDE_BY_SIDE = 32;

/** The scan as its booking's history holds it. No `voids` key on an entry or exit: the driver would store an undefined as null. */
export function factOf(row: Omit<CheckinRow, 'rev'>): ScanFact {
  return {
    checkinId: row.id,
    direction: row.direction,
    hlc: row.hlc,
    gate: row.gate,
    ...(row.voids ? { voids: row.voids } : {}),
  };
}

/** The check-in document of a scan, before its rev (changeLog.insertAndLog / insertMany add it). */
export function checkinDocOf(row: Omit<CheckinRow, 'rev'>): Omit<CheckinDoc, 'rev'> {
  const { voids, ...rest } = withoutId(row);
  return { _id: row.id, ...rest, ...(voids ? { voids } : {}) };
}

/**
 * The same scan again: the same ticket, way and gate by the same person. A retry may come through
 * another device of theirs, another server, at another time, so those are not compared.
 */
export function sameScan(stored: CheckinDoc, row: Omit<CheckinRow, 'rev'>): boolean {
  return (
    stored.eventId === row.eventId &&
    stored.bookingId === row.bookingId &&
    stored.direction === row.direction &&
    stored.voids === row.voids &&
    stored.gate === row.gate &&
    stored.staffId === row.staffId
  );
}

/** A scan whose check-in row is stored (new, or the same scan again), in run order. */
type Recorded = { index: number; doc: CheckinDoc; repeated: boolean };

/** What a recorded scan is judged by: its booking and the booking's scans up to and including it. */
type Judged = { booking: BookingDoc; history: ScanFact[] };

/**
 * A push's run of scans (MongoLedger's batch path) recorded as `MongoCheckins.record` would record
 * them one after another in run order, in a few commands for the whole run:
 *
 * 1. the run's bookings read at once (`$in` where filters are indexed, point reads on FerretDB), so a
 *    scan of another event's booking is NOT_FOUND before anything is written;
 * 2. the check-ins in one unordered insert, marked pending (changeLog.insertMany), and their changes
 *    in one group commit — one counter step of n where `$inc` is atomic; a taken id is the same
 *    scan again (`repeated`) or CONFLICT, read by `_id`;
 * 3. each stored scan added to its booking's history: where updates are isolated, one ordered bulk
 *    of `$push`es and one read of the bookings after it (`pushHistories`); elsewhere (FerretDB) a
 *    slot per scan (scan-slots.ts), one booking's scans one after another in run order. Either way
 *    a ticket's later scan in the run sees its earlier ones and none of its later ones;
 * 4. alerts as `record` raises them, derived even for a repeat (a crash before them is made good).
 *
 * The row goes in before the history here (the other way round from `record` on MongoDB), so a
 * scan refused for its id is never in a history and there is nothing to take back. A crash in
 * between leaves a logged row missing from its history: the retry (its claim released or taken
 * over) finds the row (`repeated`), adds the scan and raises its alerts — all under the same ids.
 */
export class CheckinRuns {
  constructor(
    private readonly context: StoreContext,
    private readonly target: LoggedCollection<CheckinDoc>,
    private readonly bookings: Collection<BookingDoc>,
    private readonly slots: ScanSlots,
    private readonly alerts: MongoAlerts,
  ) {}

  /**
   * Records `scans` in run order; per scan its outcome or its own error (NOT_FOUND for a booking not
   * in the scan's event, CONFLICT for a check-in id another scan holds, a plain Error at the history
   * cap). Rejects only when a write the whole run shares failed; scans it stored are then repeats
   * on the retry.
   */
  async record(scans: RunScan[]): Promise<RunOutcome[]> {
    const outcomes: Array<RunOutcome | null> = scans.map(() => null);
    const limit = pLimit(SIDE_BY_SIDE);
    const isolated = this.context.capabilities.isolatedUpdates;
    const found = await findByIds(
      this.bookings,
      scans.map((scan) => scan.row.bookingId),
      this.context.capabilities,
    );
    const bookingsById = new Map(found.map((doc) => [doc._id, doc]));
    const live: number[] = [];
    scans.forEach(({ row }, index) => {
      // Another event's booking answers like a missing one: ids of other events' bookings do not leak.
      if (bookingsById.get(row.bookingId)?.eventId === row.eventId) live.push(index);
      else outcomes[index] = storeErrors.bookingNotInEvent(row.bookingId);
    });
    const recorded = await this.insert(scans, live, outcomes, limit);
    const judged = isolated
      ? await this.pushHistories(scans, recorded, bookingsById)
      : await this.slotHistories(scans, recorded, bookingsById, limit);
    await Promise.all(
      recorded.map(({ index, doc, repeated }, position) =>
        limit(async () => {
          const judgement = judged[position]!;
          if (judgement instanceof Error) {
            outcomes[index] = judgement;
            return;
          }
          const checkin = toCheckinRow(doc);
          try {
            const derived = scans[index]!.deriveAlerts(toBookingRow(judgement.booking), checkin, judgement.history);
            await this.alerts.raiseMissing(derived);
            outcomes[index] = { row: checkin, repeated };
          } catch (error) {
            outcomes[index] = error instanceof Error ? error : new Error(String(error));
          }
        }),
      ),
    );
    return outcomes.map((outcome) => outcome ?? new Error('scan left unrecorded'));
  }

  /** Step 2: the check-in rows of the scans at `live`, inserted and logged together. */
  private async insert(
    scans: RunScan[],
    live: number[],
    outcomes: Array<RunOutcome | null>,
    limit: ReturnType<typeof pLimit>,
  ): Promise<Recorded[]> {
    if (live.length === 0) return [];
    const batch = await this.context.changeLog.insertMany(
      this.target,
      live.map((index) => checkinDocOf(scans[index]!.row)),
    );
    // On failure log() leaves the rows' pending records to the repair sweep, as a crash would.
    await batch.log();
    const refused = new Set(batch.duplicates);
    // `inserted` holds the rows not refused, in the order they were given.
    const insertedAt = new Map(live.filter((_index, position) => !refused.has(position)).map((index, n) => [index, n]));
    const recorded = await Promise.all(
      live.map(async (index): Promise<Recorded | null> => {
        const inserted = insertedAt.get(index);
        if (inserted !== undefined) return { index, doc: batch.inserted[inserted]!, repeated: false };
        const row = scans[index]!.row;
        const existing = await limit(() => this.target.collection.findOne({ _id: row.id }));
        if (existing && sameScan(existing, row)) return { index, doc: existing, repeated: true };
        outcomes[index] = storeErrors.checkinIdTaken(row.id);
        return null;
      }),
    );
    return recorded.filter((entry): entry is Recorded => entry !== null);
  }

  /**
   * Step 3 where updates are isolated. The scans not yet in their booking's history as first read
   * are pushed in run order (ordered bulk commands of at most `maxUpdatesPerCommand`, each guarded
   * against a second copy and the cap), then those bookings are read once more. A pushed scan's
   * history is the booking's scans up to its own — what its own `findOneAndUpdate` would have
   * returned, since the array keeps the order the pushes landed in. A scan already there (a repeat)
   * sees, as `record` would, the whole history but for the run's later scans pushed here.
   */
  private async pushHistories(
    scans: RunScan[],
    recorded: Recorded[],
    before: Map<string, BookingDoc>,
  ): Promise<Array<Judged | Error>> {
    const rows = recorded.map(({ index }) => scans[index]!.row);
    // The same scan twice in a run (two mutations, one check-in id) is pushed once: the guard in
    // the filter would hold on MongoDB, but FerretDB tests a command's filters before its updates.
    const pushes = rows.map(
      (row, position) =>
        rows.findIndex((other) => other.id === row.id) === position &&
        !(before.get(row.bookingId)!.scans ?? []).some((scan) => scan.checkinId === row.id),
    );
    const operations: AnyBulkWriteOperation<BookingDoc>[] = rows
      .filter((_row, position) => pushes[position])
      .map((row) => ({
        updateOne: {
          filter: {
            _id: row.bookingId,
            eventId: row.eventId,
            'scans.checkinId': { $ne: row.id },
            [`scans.${MAX_SCANS_PER_BOOKING - 1}`]: { $exists: false },
          },
          update: { $push: { scans: factOf(row) } },
        },
      }));
    const after = new Map(before);
    if (operations.length > 0) {
      const perCommand = this.context.capabilities.maxUpdatesPerCommand;
      for (let start = 0; start < operations.length; start += perCommand) {
        await this.bookings.bulkWrite(operations.slice(start, start + perCommand), { ordered: true });
      }
      const touched = rows.filter((_row, position) => pushes[position]).map((row) => row.bookingId);
      for (const doc of await findByIds(this.bookings, touched, this.context.capabilities)) after.set(doc._id, doc);
    }
    return rows.map((row, position) => {
      const booking = after.get(row.bookingId)!;
      const history = booking.scans ?? [];
      if (pushes[position]) {
        const own = history.findIndex((scan) => scan.checkinId === row.id);
        if (own === -1) return new Error(`booking ${row.bookingId} has ${MAX_SCANS_PER_BOOKING} scans`);
        return { booking, history: history.slice(0, own + 1) };
      }
      const later = new Set(
        rows
          .filter((other, next) => next > position && pushes[next] && other.bookingId === row.bookingId)
          .map((other) => other.id),
      );
      const cut = history.findIndex((scan) => later.has(scan.checkinId));
      return { booking, history: cut === -1 ? history : history.slice(0, cut) };
    });
  }

  /**
   * Step 3 on FerretDB: a slot per scan. One booking's scans take theirs one after another in run
   * order, different bookings side by side; after a failure the booking's later scans fail too, so
   * none is judged without an earlier one that is still owed.
   */
  private async slotHistories(
    scans: RunScan[],
    recorded: Recorded[],
    bookingsById: Map<string, BookingDoc>,
    limit: ReturnType<typeof pLimit>,
  ): Promise<Array<Judged | Error>> {
    const judged: Array<Judged | Error> = new Array<Judged | Error>(recorded.length);
    const byBooking = new Map<string, number[]>();
    recorded.forEach(({ index }, position) => {
      const bookingId = scans[index]!.row.bookingId;
      byBooking.set(bookingId, [...(byBooking.get(bookingId) ?? []), position]);
    });
    await Promise.all(
      [...byBooking.entries()].map(([bookingId, positions]) =>
        limit(async () => {
          const booking = bookingsById.get(bookingId)!;
          let failed: Error | null = null;
          for (const position of positions) {
            if (failed) {
              judged[position] = failed;
              continue;
            }
            try {
              const history = await this.slots.record(bookingId, factOf(scans[recorded[position]!.index]!.row));
              judged[position] = { booking, history };
            } catch (error) {
              judged[position] = failed = error instanceof Error ? error : new Error(String(error));
            }
          }
        }),
      ),
    );
    return judged;
  }
}
