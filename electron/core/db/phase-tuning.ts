import type { SyncPhase } from '@gatehouse/protocol';
import { BackgroundCheckpointer } from './checkpointer';
import { type Db, WAL_AUTOCHECKPOINT_PAGES } from './open';

/** How often the WAL is checkpointed off the scan path (see PhaseTuning.checkpoint). */
const CHECKPOINT_INTERVAL_MS = 2_000;
/**
 * SQLite's page cache (KiB) until the account is `ready`. An initial sync streams 100,000 rows
 * through once; a larger cache made it no faster (measured at 2, 4, 8 and 16 MB) but held the memory
 * for the rest of the sync. Once ready, the driver's default (16 MB) serves the attendee table.
 */
const SYNC_CACHE_KIB = 2048;
/**
 * SQLite's checkpoint threshold (pages) until `ready`: a bound on the WAL (512 MiB of 4 KiB pages,
 * ~600,000 bookings), not a cadence; the timed checkpoints wait meanwhile (PhaseTuning.tune).
 */
const SYNC_AUTOCHECKPOINT_PAGES = 131_072;

/**
 * An account database's page cache and WAL checkpoints, as its sync phase wants them: the settings
 * per phase (`tune`), and the timed checkpoints on a worker thread once `ready`.
 */
export class PhaseTuning {
  /** Runs the timed checkpoints on a worker thread. */
  readonly checkpointer: BackgroundCheckpointer;
  private readonly timer: NodeJS.Timeout;
  private readonly defaultCacheSize: number;
  /** The worker is copying an initial sync's WAL; commits get their checkpoint threshold back after (tune). */
  private handingOverWal = false;

  constructor(
    private readonly db: Db,
    file: string,
    private readonly phase: () => SyncPhase,
  ) {
    this.defaultCacheSize = db.pragma('cache_size', { simple: true }) as number;
    this.checkpointer = new BackgroundCheckpointer(file);
    this.timer = setInterval(() => this.checkpoint(), CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Settings for the phase. The page cache is small until `ready`: an initial sync streams its rows
   * through once. Until `ready` no commit checkpoints (SYNC_AUTOCHECKPOINT_PAGES is only a bound):
   * a checkpoint in a commit copies every page the sync wrote so far and fsyncs, on the event loop —
   * at 100,000 bookings the WAL crossed the old 64 MB threshold in the page that catches up, and
   * ready-to-scan waited 0.25–0.3 s for it (profiled, `npm run bench -- --only initial_sync`). Once
   * `ready`, the worker copies the sync's WAL (db/checkpointer.ts), and only then do commits get
   * their own threshold back: lowered at once, the next commit (the photo rows' fill) copied ~80 MB
   * itself, 0.5 s of a door's event loop.
   */
  tune(): void {
    const phase = this.phase();
    this.db.pragma(`cache_size = ${phase === 'ready' ? this.defaultCacheSize : -SYNC_CACHE_KIB}`);
    if (phase !== 'ready') {
      this.db.pragma(`wal_autocheckpoint = ${SYNC_AUTOCHECKPOINT_PAGES}`);
      return;
    }
    if (this.handingOverWal || this.db.pragma('wal_autocheckpoint', { simple: true }) === WAL_AUTOCHECKPOINT_PAGES)
      return;
    const restore = () => {
      this.handingOverWal = false;
      try {
        if (this.db.open && this.phase() === 'ready')
          this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      } catch {
        // The database failed meanwhile: whoever reopens it sets the threshold again.
      }
    };
    let copied: Promise<number> | null = null;
    try {
      copied = this.checkpointer.checkpointFromNow();
    } catch {
      // No worker could start: commits checkpoint themselves, as without one.
    }
    if (!copied) {
      restore();
      return;
    }
    this.handingOverWal = true;
    void copied.then(restore, restore);
  }

  /** Stops the timed checkpoints and the worker (a running checkpoint finishes first). */
  close(): void {
    clearInterval(this.timer);
    this.checkpointer.close();
  }

  /**
   * Copies the WAL into the database file beside scans rather than inside one: SQLite's automatic
   * checkpoint runs in whichever commit crosses its page threshold and fsyncs twice, which was the
   * scan's p99. openDatabase raises that threshold so it is only a fallback. Failures (a full disk)
   * are left to the next write to report.
   */
  private checkpoint(): void {
    try {
      if (!this.db.open || this.phase() !== 'ready') return;
      // On a worker thread, so its fsyncs hold no scan either (db/checkpointer.ts).
      if (!this.checkpointer.request()) this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // The WAL keeps the data; the next attempt or the fallback checkpoint copies it.
    }
  }
}
