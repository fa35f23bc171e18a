import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';

/**
 * Check-ins arrive only through `POST /sync/push` (`checkin.record`), so that a scan at the door and
 * a retried one are the same fact; this domain owns their collection and its indexes.
 */
export async function registerCheckinDomain(_app: FastifyInstance, ctx: AppContext): Promise<void> {
  await ctx.checkins.ensureIndexes();
}
