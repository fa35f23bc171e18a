import { createListIndex } from '../db/booking-indexes';
import type { Db } from '../db/open';
import type { SyncState } from '../sync/state';

/** `search_index.indexed_up_to` once every booking is indexed: the largest rowid SQLite has. */
const EVERYTHING = '9223372036854775807';
const WORDS = `coalesce(name_lower, '') || ' ' || coalesce(email_lower, '') || ' ' || coalesce(code, '')`;

export type IndexStep = { done: boolean; indexed: number; total: number };

/**
 * The bookings' search index (FTS5, migration 002) built in bulk after an initial sync, in rowid
 * order, one short transaction per chunk (migration 004 explains the watermark). Each chunk inserts
 * the words of the live bookings above the mark and raises it in the same transaction, so a crash
 * resumes where the last commit left off; the chunk that reaches the largest rowid sets the mark
 * to everything and the phase to `ready`, after which the triggers alone keep the index in step.
 */
export class SearchIndex {
  private readonly mark;
  private readonly last;
  private readonly insertWords;
  private readonly setMark;
  private readonly setEverything;

  constructor(
    private readonly db: Db,
    private readonly state: SyncState,
  ) {
    this.mark = db.prepare(
      `SELECT indexed_up_to = ${EVERYTHING} AS complete,
         CASE WHEN indexed_up_to = ${EVERYTHING} THEN 0 ELSE indexed_up_to END AS upTo
       FROM search_index WHERE id = 1`,
    );
    this.last = db.prepare('SELECT coalesce(max(rowid), 0) FROM bookings').pluck();
    this.insertWords = db.prepare(
      `INSERT INTO bookings_words (rowid, words)
       SELECT rowid, ${WORDS} FROM bookings WHERE rowid > ? AND rowid <= ? AND doc IS NOT NULL`,
    );
    this.setMark = db.prepare('UPDATE search_index SET indexed_up_to = ? WHERE id = 1');
    this.setEverything = db.prepare(`UPDATE search_index SET indexed_up_to = ${EVERYTHING} WHERE id = 1`);
  }

  private read(): { complete: boolean; upTo: number } {
    const row = this.mark.get() as { complete: number; upTo: number };
    return { complete: row.complete === 1, upTo: row.upTo };
  }

  complete(): boolean {
    return this.read().complete;
  }

  /**
   * Empties the index and lowers the mark to nothing, for an initial sync into an empty table: its
   * rows then cost no trigger work until the bulk build. Inside the caller's transaction.
   */
  defer(): void {
    this.db.exec(`INSERT INTO bookings_words (bookings_words) VALUES ('delete-all')`);
    this.setMark.run(0);
  }

  /** How far the build is: bookings (by rowid) indexed, of all. */
  progress(): { done: number; total: number } {
    const { complete, upTo } = this.read();
    const total = this.last.get() as number;
    return { done: complete ? total : Math.min(upTo, total), total };
  }

  /** Indexes up to `rows` more bookings in one transaction; `done` once the index is complete. */
  step(rows: number): IndexStep {
    return this.db.transaction((): IndexStep => {
      const { complete, upTo } = this.read();
      const last = this.last.get() as number;
      const phase = this.state.get('phase');
      // The organizer's list index, left out of ready-to-scan (a verdict needs only the key and the
      // code): built with the first chunk, so the phase leaves `readyToScan` with it.
      if (phase === 'readyToScan') createListIndex(this.db);
      if (complete) return { done: true, indexed: last, total: last };
      // Still downloading: the build starts once the rows are all here (the sync resumes it).
      if (phase === 'syncing') return { done: true, indexed: upTo, total: last };
      const to = Math.min(upTo + Math.max(1, Math.floor(rows)), last);
      if (to > upTo) this.insertWords.run(upTo, to);
      // Nothing exists above `last` in this transaction, so once it is reached the triggers can take
      // every later row, whatever its rowid.
      if (to >= last) {
        this.setEverything.run();
        this.state.set('phase', 'ready');
        return { done: true, indexed: last, total: last };
      }
      this.setMark.run(to);
      this.state.set('phase', 'indexing');
      return { done: false, indexed: to, total: last };
    })();
  }
}

export type IndexerHooks = {
  /** After each chunk (throttled by the caller if it likes) and when the index is complete. */
  onProgress: (step: IndexStep) => void;
  /**
   * Resolves when sync has nothing in flight. A request takes several turns of the event loop to
   * send and read; a chunk in each turn would stretch a poke's pull several times over.
   */
  syncIdle: () => Promise<void>;
  log: (message: string) => void;
};

/** Time one chunk may hold the connection: a scan that arrives meanwhile waits at most this long. */
const CHUNK_BUDGET_MS = 3;
const FIRST_CHUNK_ROWS = 250;
const MAX_CHUNK_ROWS = 20_000;

/**
 * Runs the bulk build in the background: a chunk, then back to the event loop (scans and RPCs go
 * between chunks; a push or pull in flight goes first), sized so that each chunk takes about
 * CHUNK_BUDGET_MS.
 */
export class SearchIndexer {
  private running: Promise<void> | null = null;
  private stopped = false;
  private rows = FIRST_CHUNK_ROWS;
  progress: { done: number; total: number } | null = null;

  constructor(
    private readonly index: SearchIndex,
    private readonly needed: () => boolean,
    private readonly hooks: IndexerHooks,
  ) {}

  /** Starts the build if the phase calls for it and it is not already running. */
  resume(): void {
    if (this.running || this.stopped || !this.needed()) return;
    this.running = this.run()
      .catch((error: unknown) => this.hooks.log(`search index: ${(error as Error).message}`))
      .finally(() => {
        this.running = null;
      });
  }

  /** Resolves when the build is finished (or not running). */
  async idle(): Promise<void> {
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async run(): Promise<void> {
    for (;;) {
      await this.hooks.syncIdle();
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.stopped) return;
      const started = performance.now();
      const step = this.index.step(this.rows);
      const elapsed = performance.now() - started;
      // Aim the next chunk at the budget, moving by at most a factor of two either way.
      const perRow = elapsed / Math.max(1, this.rows);
      const fit = perRow > 0 ? CHUNK_BUDGET_MS / perRow : this.rows * 2;
      this.rows = Math.max(50, Math.min(MAX_CHUNK_ROWS, this.rows * 2, Math.max(this.rows / 2, fit)));
      this.progress = step.done ? null : { done: step.indexed, total: step.total };
      this.hooks.onProgress(step);
      if (step.done) return;
    }
  }
}
