import type { FastifyInstance } from 'fastify';

/**
 * Lets a closing server end as soon as its requests in flight are answered. `app.close()` (a
 * restart, a deploy, SIGTERM) waits for every connection to end; Node closes the idle ones, but a
 * keep-alive connection whose request was in flight when the close began stayed open after its
 * answer until Fastify's keepAliveTimeout (72 s) and held the close that long — P4's server
 * restarts waited 70 s for one. Once closing, answers carry `Connection: close`, so Node ends their
 * sockets with them (requests that arrive meanwhile get Fastify's 503, which closes too); an answer
 * already under way when the close began (a streamed export) leaves its connection idle for 1 ms,
 * not 72 s: Node reads the keep-alive timeout as each answer ends.
 */
export function endConnectionsWhenClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    app.server.keepAliveTimeout = 1;
    app.server.closeIdleConnections();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
