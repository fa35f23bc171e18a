import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * How often the background connection copies the WAL back into the database file. A checkpoint
 * copies each page written since the last one once, however often it was committed meanwhile, and
 * a push's group commits rewrite many of the same pages (leaves of `checkins_by_booking`, keyed by
 * random booking ids; the last leaf of each append-only table), so fewer checkpoints copy fewer.
 * Counted from the WAL of 10,000 check-ins in pushes of 2,000 on a 100,000-booking store
 * (scripts/bench/server-apply.ts, 2026-12-02): 10,807 frames in 20 commits; one checkpoint a commit
 * (50 ms here) copies 10,807 pages, one every four commits (~250 ms) 5,837. The worker thread's CPU
 * for that apply: 120–130 ms at 50 ms, 80–90 ms at 250. The WAL between checkpoints stays far under
 * WAL_SIZE_LIMIT_BYTES (database.ts).
 */
const CHECKPOINT_EVERY_MS = 250;

/**
 * The worker's code, plain CommonJS so it needs no TypeScript loader: its own connection to the
 * file, a PASSIVE checkpoint on a timer (it never blocks the writer), closed on 'stop'.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
let failures = 0;
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failures = 0;
  } catch (error) {
    if (failures++ === 0) parentPort.postMessage({ error: String(error) });
  }
}, workerData.everyMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints the WAL from a worker thread. A checkpoint copies every page written since the last
 * one into the database file and fsyncs it; done by SQLite's auto-checkpoint it runs inside a
 * committing write, on the event loop (measured: about half the cost of a pushed check-in). Here
 * it runs beside the writer, which only appends to the WAL.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopping = false;

  /**
   * Starts the worker. `onFailure` is called (once) when it cannot start or stops on its own: the
   * caller then goes back to SQLite's checkpoints in commits. `onError` reports a failed checkpoint.
   */
  constructor(file: string, handlers: { onError: (message: string) => void; onFailure: (reason: string) => void }) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, everyMs: CHECKPOINT_EVERY_MS } });
    this.worker.unref();
    let failed = false;
    const fail = (reason: string) => {
      if (failed || this.stopping) return;
      failed = true;
      handlers.onFailure(reason);
    };
    this.worker.on('message', (message: { error?: string }) => {
      if (message.error) handlers.onError(message.error);
    });
    this.worker.on('error', (error) => fail(String(error)));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        fail(`worker exited with code ${code}`);
        resolve();
      }),
    );
  }

  /** Stops the timer and closes the worker's connection; resolves when the thread has ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    // Referenced again while it winds down: an unreferenced worker would let a process whose only
    // work left is this close() exit before the database is closed.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
