import { GatehouseError } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context';

const statusSchema = z.object({ status: z.literal('ok') });

export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext): void {
  /** Liveness: the process answers. Never touches the database, so a slow database does not get us killed. */
  app.get(
    '/health',
    { config: { rateLimit: false }, schema: { tags: ['health'], response: { 200: statusSchema } } },
    async () => ({
      status: 'ok' as const,
    }),
  );

  /** Readiness: the database answers a ping within its timeout. */
  app.get(
    '/ready',
    { config: { rateLimit: false }, schema: { tags: ['health'], response: { 200: statusSchema } } },
    async () => {
      try {
        await ctx.store.ping();
      } catch {
        throw new GatehouseError('SERVICE_UNAVAILABLE', 'The database is not reachable');
      }
      return { status: 'ok' as const };
    },
  );
}
