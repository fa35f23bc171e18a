import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * The file of the better-sqlite3 the core has loaded, for the worker to load the same one: the
 * app's bundles point `better-sqlite3` at a copy built for Electron's ABI (electron/main/tooling),
 * which a fresh resolution from the worker would not find. Node's module cache is one per process.
 */
function loadedDriverFile(): string | null {
  const cache = createRequire(path.join(process.cwd(), 'gatehouse-core.js')).cache;
  return Object.values(cache).find((entry) => entry?.exports === Database)?.filename ?? null;
}

/**
 * The worker's code: its own connection to the file, a PASSIVE checkpoint per message, the WAL
 * frames it copied (or -1 when it could not) back. A string rather than a file, so the core's
 * single-file bundle carries it; `better-sqlite3` is loaded from the path the core itself resolves.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db = null;
parentPort.on('message', (message) => {
  if (message === 'close') {
    if (db) db.close();
    parentPort.close();
    return;
  }
  let copied = -1;
  try {
    db = db || new Database(workerData.file, { fileMustExist: true });
    db.pragma('synchronous = NORMAL');
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    copied = result.checkpointed;
  } catch {
    // Left to the next attempt, or to SQLite's own fallback checkpoint in a commit.
  }
  parentPort.postMessage(copied);
});
`;

/**
 * Copies a database's WAL into its file on a worker thread with a connection of its own, so the
 * checkpoint's fsyncs (6–60 ms each on this machine's disk, every 2 s) never hold the core's event
 * loop: a scan, a poke or a pull that arrived meanwhile waited behind them — the tail of the scan
 * and propagation latencies (#15). A PASSIVE checkpoint takes no lock a writer waits for, so the
 * core's own connection keeps writing while it runs. The worker starts at the first request (an
 * initial sync asks for none until it is ready, then hands its whole WAL over:
 * db/phase-tuning.ts), and one checkpoint runs at a time: a request while one runs is
 * dropped, the timer asks again. Failures are left to the next attempt.
 */
export class BackgroundCheckpointer {
  private worker: Worker | null = null;
  private running = false;
  private closed = false;
  /** Resolvers of `idle()` callers, settled when the running checkpoint answers. */
  private waiting: Array<(framesCopied: number) => void> = [];

  constructor(private readonly file: string) {}

  /**
   * Starts a checkpoint unless one is running or the checkpointer is closed. Returns false when no
   * worker can run one (the driver's file is unknown): the caller checkpoints itself.
   */
  request(): boolean {
    if (this.closed || this.running) return true;
    const worker = this.start();
    if (!worker) return false;
    this.running = true;
    worker.postMessage('checkpoint');
    return true;
  }

  /**
   * A checkpoint that starts after this call (one already running may have begun before the
   * latest commit, so it is waited for first). Resolves with the WAL frames it copied (-1: it
   * failed; 0: the checkpointer is closed), or null at once when no worker can run one (the
   * caller checkpoints itself).
   */
  checkpointFromNow(): Promise<number> | null {
    if (!this.closed && !this.start()) return null;
    return this.idle().then(() => {
      if (this.closed) return 0;
      this.request();
      return this.idle();
    });
  }

  /**
   * Resolves with the WAL frames the running checkpoint copied (-1: it failed), or at once with 0
   * when none runs. For tests and for a close that must not leave one half-way.
   */
  idle(): Promise<number> {
    if (!this.running) return Promise.resolve(0);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Closes the worker's connection and ends the thread; a running checkpoint finishes first. */
  close(): void {
    this.closed = true;
    this.worker?.postMessage('close');
    this.worker?.unref();
    this.worker = null;
  }

  private start(): Worker | null {
    if (this.worker) return this.worker;
    const driver = loadedDriverFile();
    if (!driver) return null;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.file, driver } });
    worker.on('message', (framesCopied: number) => {
      this.running = false;
      for (const resolve of this.waiting.splice(0)) resolve(framesCopied);
    });
    // An error, or an exit without one (the thread ended from outside): the checkpoint in flight
    // failed, and the next request starts a new worker.
    const failed = () => {
      this.running = false;
      for (const resolve of this.waiting.splice(0)) resolve(-1);
      if (this.worker === worker) this.worker = null;
    };
    worker.on('error', failed);
    worker.on('exit', failed);
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
