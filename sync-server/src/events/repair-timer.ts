import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';

export const REPAIR_INTERVAL_MS = 3_000;

/**
 * Runs a change-log repair once now and then every few seconds, so a row whose change was lost to
 * a crash reaches devices soon after. One run at a time; stopped when the server closes.
 */
export async function startRepairTimer(
  app: FastifyInstance,
  ctx: AppContext,
  name: string,
  repair: () => Promise<number>,
  intervalMs = REPAIR_INTERVAL_MS,
): Promise<void> {
  await repair();
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = repair()
      .then((count) => {
        if (count > 0) ctx.log.warn({ collection: name, count }, 'repaired what a crash left pending');
      })
      .catch((error: unknown) => ctx.log.error({ err: error, collection: name }, 'change-log repair failed'))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  // A run cut off by the database closing would only log an error; let it finish instead.
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
}
