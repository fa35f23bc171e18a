import {
  type Booking,
  PROTOCOL_VERSION,
  type Checkin,
  type Event,
  HybridClock,
  type MutationName,
  type MutationResult,
  parseBucket,
  SYNC_PHASES,
  type SyncPhase,
} from '@gatehouse/protocol';
import { SearchIndex } from './bookings/search-index';
import { createScanIndexes, dropBookingIndexes } from './db/booking-indexes';
import type { BackgroundCheckpointer } from './db/checkpointer';
import { type Db, openDatabase, translateSqliteError } from './db/open';
import { PhaseTuning } from './db/phase-tuning';
import { type Doc, RowStore, SYNCED_TABLES, type SyncedTable, TABLE_OF_TYPE } from './db/rows';
import type { MutationMeta } from './sync/effects';
import { bucketRowsOf, canonicalBucketHash, type HashedRow } from './sync/hash';
import { ChangeCollector, checkedChange, type DataChange, eventIdOfChange, type PullPage } from './sync/pull-page';
import { RejectedMutations, type RejectedMutation } from './sync/rejected';
import { PhotoRows, ticketTypeRequiresPhoto } from './photos/rows';
import { Outbox } from './sync/outbox';
import { SyncState, type SyncStateKey } from './sync/state';

export { ChangeCollector, type DataChange, type PullPage } from './sync/pull-page';
export type { RejectedMutation } from './sync/rejected';

/** Sync-state key: the bookings rowid up to which photo rows were entered after an initial sync; absent when done. */
export const PHOTOS_FILL_STATE: SyncStateKey = 'photosFilledTo';

/**
 * One signed-in account's local database: synced rows, outbox, sync state and the clock. All writes
 * that belong together happen in one SQLite transaction here.
 */
export class AccountStore {
  readonly rows: RowStore;
  readonly state: SyncState;
  readonly outbox: Outbox;
  readonly clock: HybridClock;
  readonly searchIndex: SearchIndex;
  /** Attendees' photos of the bookings here, kept in step by the pull (photos/rows.ts). */
  readonly photos: PhotoRows;
  /** What the server refused or overruled, for the Sync screen. */
  private readonly rejectedMutations: RejectedMutations;
  private readonly insertBucket;
  private readonly anyBooking;
  private readonly checkinsOfBooking;
  /** The page cache and WAL checkpoints for the sync phase (db/phase-tuning.ts). */
  private readonly tuning: PhaseTuning;

  private constructor(
    readonly db: Db,
    readonly file: string,
    deviceId: string,
    now: () => number,
  ) {
    this.rows = new RowStore(db);
    this.state = new SyncState(db);
    this.clock = new HybridClock(deviceId, now, this.state.get('hlc') ?? undefined);
    this.outbox = new Outbox(db, this.rows, this.clock, this.state);
    this.searchIndex = new SearchIndex(db, this.state);
    this.photos = new PhotoRows(db);
    this.rejectedMutations = new RejectedMutations(db);
    this.insertBucket = db.prepare('INSERT OR IGNORE INTO buckets (bucket, added_at) VALUES (?, ?)');
    this.anyBooking = db.prepare('SELECT 1 FROM bookings LIMIT 1');
    this.checkinsOfBooking = db.prepare('SELECT doc FROM checkins WHERE booking_id = ? AND doc IS NOT NULL');
    this.tuning = new PhaseTuning(db, file, () => this.phase());
    this.tuneForPhase();
    this.refreshForProtocol();
  }

  /** Runs the timed checkpoints on a worker thread. */
  get checkpointer(): BackgroundCheckpointer {
    return this.tuning.checkpointer;
  }

  /**
   * After an update that raised the protocol version, pulls every bucket again from the start: a
   * server sends an older device no rows it cannot read (sync/pull.ts readableBy) while its cursor
   * moves on, and older devices dropped fields they did not know from the docs they stored. Until
   * the pull has caught up, an equal rev is stored again (in this version's shape); nothing local is
   * lost (pending mutations replay on top as usual). A kill -9 midway resumes the refresh.
   */
  private refreshForProtocol(): void {
    const pulledWith = Number(this.state.get('protocol') ?? '1');
    if (pulledWith >= PROTOCOL_VERSION) return;
    this.db.transaction(() => {
      if (this.state.get('cursor') !== null) {
        this.state.set('cursor', null);
        this.state.set('refreshing', '1');
      }
      this.state.set('protocol', String(PROTOCOL_VERSION));
    })();
  }

  static open(file: string, deviceId: string, now: () => number): AccountStore {
    return new AccountStore(openDatabase(file), file, deviceId, now);
  }

  close(): void {
    this.tuning.close();
    if (this.db.open) this.db.close();
  }

  /** Runs a write; SQLite errors the user can act on (disk full, damage) come out as GatehouseErrors. */
  write<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw translateSqliteError(error, this.file);
    }
  }

  mutate(name: MutationName, args: unknown, meta: MutationMeta): { id: string; doc: Doc | null } {
    return this.write(() => this.outbox.append(name, args, meta));
  }

  /** The page cache and WAL checkpoint settings for the current phase (PhaseTuning.tune). */
  tuneForPhase(): void {
    this.tuning.tune();
  }

  /** Where this account is in getting its data (protocol's SyncPhase). */
  phase(): SyncPhase {
    const stored = this.state.get('phase');
    return (SYNC_PHASES as readonly string[]).includes(stored ?? '') ? (stored as SyncPhase) : 'ready';
  }

  /**
   * Enters the `syncing` phase when this is an initial sync into an empty bookings table (no cursor
   * yet): bookings are stored the cheap way — the doc once, appended to a table with no index (not
   * even its key: booking ids are random, db/booking-indexes.ts) — the key and code indexes are
   * built when the last page is in, the list and search indexes after that, in bulk.
   * Anything else (a resync over rows that are here) keeps every index in step row by row. Returns
   * whether the account is in the `syncing` phase.
   */
  beginInitialSync(): boolean {
    const syncing = this.write(() =>
      this.db.transaction(() => {
        const phase = this.phase();
        if (phase !== 'ready') return phase === 'syncing';
        if (this.state.get('cursor') !== null || this.anyBooking.get() !== undefined) return false;
        dropBookingIndexes(this.db);
        this.searchIndex.defer();
        // Photo rows are entered after the download (photos/fetcher.ts), from the rowid stored here.
        this.state.set(PHOTOS_FILL_STATE, '0');
        this.state.set('phase', 'syncing');
        return true;
      })(),
    );
    this.tuneForPhase();
    return syncing;
  }

  /**
   * One pull page: rows, bucket changes and the new cursor in one transaction. The page that
   * catches up an initial sync also builds the key and code indexes and moves the phase on to
   * `readyToScan`.
   */
  applyPullPage(page: PullPage, caughtUp = !page.hasMore): DataChange {
    const changed = new ChangeCollector();
    this.applyPullSlice(page, 0, caughtUp, changed, Infinity);
    return changed.result();
  }

  /**
   * Part of a pull page in one transaction: rows from index `from` until `deadline`
   * (performance.now()) has passed, at least one. The slice that stores the last row also records
   * the bucket removals, the cursor and, caught up, the rest, in the same transaction; a crash
   * between slices leaves rows ahead of the stored cursor, which a pull from it stores again as the
   * no-op it is (rows are kept by rev). Returns where the next slice starts (the length when done).
   *
   * Caught up, rows whose mutations the server applied are re-derived from its version — unless
   * `answersCovered` says a push answer arrived after this page was asked for: the page may predate
   * that push, so those rows wait for the next pull (which the push asks for).
   */
  applyPullSlice(
    page: PullPage,
    from: number,
    caughtUp: boolean,
    changed: ChangeCollector,
    deadline: number,
    answersCovered: () => boolean = () => true,
  ): number {
    const initialSync = this.phase() === 'syncing';
    // Events read for the photos' priority, once per slice.
    const eventsRead = new Map<string, Event | null>();
    const requiresPhoto = (booking: Booking) => {
      if (!eventsRead.has(booking.eventId))
        eventsRead.set(booking.eventId, this.rows.getDoc<Event>('events', booking.eventId));
      return ticketTypeRequiresPhoto(eventsRead.get(booking.eventId) ?? null, booking.ticketTypeId);
    };
    const next = this.write(() =>
      this.photos.inTransaction(() => {
        const now = new Date().toISOString();
        if (from === 0) for (const bucket of page.bucketsAdded) this.insertBucket.run(bucket, now);
        const outboxEmpty = this.outbox.count() === 0;
        const refreshing = this.state.get('refreshing') !== null;
        let next = from;
        while (next < page.changes.length) {
          const change = checkedChange(page.changes[next++]);
          if (!change) continue;
          const table = TABLE_OF_TYPE[change.type];
          const pending = !outboxEmpty && this.outbox.hasPending(table, change.id);
          if (initialSync && table === 'bookings' && !pending) {
            // No key to look up yet: appended, reduced to one row per booking when the key is built.
            this.rows.appendServer(table, change.id, change.rev, change.doc as Doc | null);
            changed.add(table, eventIdOfChange(change));
          } else if (
            this.rows.putServer(table, change.id, change.rev, change.doc as Doc | null, !pending, refreshing)
          ) {
            if (pending) this.outbox.rebuild(table, change.id);
            const eventId = table === 'events' ? change.id : eventIdOfChange(change);
            // An initial sync enters photo rows afterwards, in bulk (PhotoRows.fillChunk).
            if (table === 'bookings' && !initialSync) {
              this.photos.noteBooking(change.id, eventId, change.doc as Booking | null, requiresPhoto);
            }
            changed.add(table, eventId);
          }
          if (performance.now() >= deadline) break;
        }
        if (next < page.changes.length) return next;
        for (const bucket of page.bucketsRemoved) this.purgeBucket(bucket, changed);
        this.state.set('cursor', page.cursor);
        if (caughtUp) {
          // The key first: what follows looks bookings up by id. The list index waits for the
          // search index's build (db/booking-indexes.ts createListIndex).
          if (this.phase() === 'syncing') {
            createScanIndexes(this.db);
            this.state.set('phase', 'readyToScan');
          }
          if (refreshing) this.state.set('refreshing', null);
          if (answersCovered()) this.outbox.rebuildStale(changed);
          this.state.set('lastSyncAt', now);
        }
        return next;
      }),
    );
    if (next >= page.changes.length && caughtUp) this.tuneForPhase();
    return next;
  }

  private purgeBucket(bucket: string, changed: ChangeCollector): void {
    const parsed = parseBucket(bucket);
    if (parsed?.kind === 'event') {
      this.photos.purgeEvent(parsed.id);
      for (const table of SYNCED_TABLES) {
        if (table === 'users') continue;
        const column = table === 'events' ? 'id' : 'event_id';
        const result = this.db.prepare(`DELETE FROM ${table} WHERE ${column} = ?`).run(parsed.id);
        if (result.changes > 0) changed.add(table, parsed.id);
      }
    } else if (parsed?.kind === 'user') {
      this.db.prepare('DELETE FROM users WHERE id = ?').run(parsed.id);
      changed.add('users', '');
    }
    this.db.prepare('DELETE FROM buckets WHERE bucket = ?').run(bucket);
  }

  /**
   * The server's answers: each named mutation leaves the outbox; a rejected one is recorded for the
   * UI and its row re-derived without it (rolled back); an applied one is re-derived from the
   * server's version once a pull has caught up.
   */
  applyPushResults(results: MutationResult[], serverHlc: string | null): DataChange {
    const changed = new ChangeCollector();
    this.write(() =>
      this.db.transaction(() => {
        const now = new Date().toISOString();
        const taken = this.outbox.takeMany(results.map((result) => result.id));
        const stale: Array<[SyncedTable, string]> = [];
        for (const result of results) {
          const row = taken.get(result.id);
          if (!row) continue;
          taken.delete(result.id); // a second answer for one id is not applied twice
          if (result.status === 'applied') {
            // The server stored its own HLC (this clock ran too far ahead): order the scan by it here too.
            if (result.hlc && row.target_table === 'checkins') this.adoptHlc(row.target_id, result.hlc);
            if (result.superseded) {
              this.rejectedMutations.record(
                result.id,
                row,
                'SUPERSEDED',
                'Applied, but a later edit had already set the same fields; it did not take effect',
                now,
              );
            }
            stale.push([row.target_table, row.target_id]);
          } else {
            this.rejectedMutations.record(
              result.id,
              row,
              result.code ?? 'REJECTED',
              result.message ?? 'The server refused this change',
              now,
            );
            this.outbox.rebuild(row.target_table, row.target_id);
            changed.add(row.target_table, this.rows.get(row.target_table, row.target_id)?.event_id ?? '');
          }
        }
        this.outbox.markStale(stale);
        if (serverHlc) this.state.set('hlc', this.clock.receive(serverHlc));
      })(),
    );
    return changed.result();
  }

  private adoptHlc(checkinId: string, hlc: string): void {
    const doc = this.rows.getDoc<Checkin>('checkins', checkinId);
    if (doc && doc.hlc !== hlc) this.rows.setDoc('checkins', checkinId, { ...doc, hlc });
  }

  /** Canonical hash of a bucket's rows as the UI sees them (compare with the server's after a full sync). */
  bucketHash(bucket: string): string {
    return canonicalBucketHash(this.bucketRows(bucket));
  }

  /** A bucket's live rows as the UI sees them: what `bucketHash` hashes, for finding what differs. */
  bucketRows(bucket: string): HashedRow[] {
    return bucketRowsOf(this.db, bucket);
  }

  rejected(): RejectedMutation[] {
    return this.rejectedMutations.latest();
  }

  dismissRejected(mutationId: string): void {
    this.write(() => this.rejectedMutations.dismiss(mutationId));
  }

  /** Every scan row of a booking as shown here (entries, exits, voids), in no order: the door rules order them. */
  scansOfBooking(bookingId: string): Checkin[] {
    return (this.checkinsOfBooking.all(bookingId) as { doc: string }[]).map((row) => JSON.parse(row.doc) as Checkin);
  }

  /** The signed-in user's own profile as their `user:<id>` bucket last gave it, or null before it arrived. */
  userProfile(userId: string): { email: string; name: string } | null {
    const row = this.db.prepare('SELECT doc FROM users WHERE id = ?').get(userId) as { doc: string | null } | undefined;
    if (!row?.doc) return null;
    const doc = JSON.parse(row.doc) as { email?: unknown; name?: unknown };
    return typeof doc.email === 'string' && typeof doc.name === 'string' ? { email: doc.email, name: doc.name } : null;
  }

  /** Every event on this device, by id. */
  eventIds(): string[] {
    return (this.db.prepare('SELECT id FROM events ORDER BY id').all() as { id: string }[]).map((row) => row.id);
  }

  buckets(): string[] {
    return (this.db.prepare('SELECT bucket FROM buckets ORDER BY bucket').all() as { bucket: string }[]).map(
      (row) => row.bucket,
    );
  }
}
