import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the background connection copies the WAL back into the database file. */
const CHECKPOINT_EVERY_MS = 50;

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
