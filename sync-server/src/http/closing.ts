import type { FastifyInstance } from 'fastify';

/**
 * Lets a closing server end as soon as its requests in flight are answered. `app.close()` (a
 * restart, a deploy, SIGTERM) waits for every connection to end; Node closes the idle ones, but a
 * keep-alive connection whose request was in flight when the close began stayed open after its
 * answer until Fastify's keepAliveTimeout (72 s) and held the close that long — P4's server
 * restarts waited 70 s for one. Once closing, the keep-alive timeout is 1 ms: Node reads it as each
 * answer ends, so such a connection closes right after its answer (streamed ones included), and
 * nothing is added to the path of a request while the server runs. Requests that arrive on a
 * connection meanwhile get Fastify's 503, which closes it too.
 */
export function endConnectionsWhenClosing(app: FastifyInstance): void {
  app.addHook('preClose', async () => {
    app.server.keepAliveTimeout = 1;
    app.server.closeIdleConnections();
  });
}
