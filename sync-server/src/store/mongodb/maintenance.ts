import type { MongoStoreLog } from './context';

/** A background repair: returns how many things it repaired (logged when more than none). */
export type MaintenanceTask = { name: string; intervalMs: number; run: () => Promise<number> };

/** Change-log repair: a row whose change a crash lost reaches devices within seconds. */
export const LOG_REPAIR_INTERVAL_MS = 3_000;
/** Seat holds and seat recounts a crash cut off: checked once a minute. */
export const SLOW_REPAIR_INTERVAL_MS = 60_000;
/** Chunks of blob writes a crash cut off: nothing reads them, so once an hour is enough. */
export const BLOB_SWEEP_INTERVAL_MS = 60 * 60_000;

/**
 * The store's repair timers: each task runs once when the store opens (a process that stopped left
 * its repairs to the next one to start) and then every interval, one run at a time per task.
 * `stop` clears the timers and waits for the runs in flight, so none is cut off by the client closing.
 */
export class Maintenance {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly tasks: MaintenanceTask[],
    private readonly log: MongoStoreLog,
  ) {}

  async start(): Promise<void> {
    for (const task of this.tasks) await this.runOnce(task);
    for (const task of this.tasks) {
      const timer = setInterval(() => {
        if (!this.running.has(task.name)) void this.runOnce(task);
      }, task.intervalMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  private runOnce(task: MaintenanceTask): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const run = task
      .run()
      .then((count) => {
        if (count > 0) this.log.warn({ task: task.name, count }, 'repaired what a crash left pending');
      })
      .catch((error: unknown) => this.log.error({ err: error, task: task.name }, 'store repair failed; will retry'))
      .finally(() => this.running.delete(task.name));
    this.running.set(task.name, run);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all([...this.running.values()]);
  }
}
