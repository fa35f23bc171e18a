import { GatehouseError, routes, SUPPORTED_PROTOCOL_RANGE } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';

/** Probes are never rate limited: an orchestrator polling them must not be refused. */
const probe = { config: { rateLimit: false } };

export function registerHealthRoutes(_app: FastifyInstance, ctx: AppContext): void {
  const { routes: server } = ctx;
  const status = () => ({ status: 'ok' as const, protocol: ctx.config.protocolRange ?? SUPPORTED_PROTOCOL_RANGE });

  /** Liveness: the process answers. Never touches the database, so a slow database does not get us killed. */
  server.serve(routes['health.live'], async () => status(), probe);

  /** Readiness: the database answers a ping within its timeout. */
  server.serve(
    routes['health.ready'],
    async () => {
      try {
        await ctx.store.ping();
      } catch {
        throw new GatehouseError('SERVICE_UNAVAILABLE', 'The database is not reachable');
      }
      return status();
    },
    probe,
  );
}
