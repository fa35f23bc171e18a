import { routes } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';

/**
 * The mail domain: outbox indexes, the admin dead-letter routes, and the sweeper + worker, which
 * run for the life of the server and stop (finishing the sends in flight) when it closes.
 */
export function registerMailDomain(app: FastifyInstance, ctx: AppContext): void {
  const { mail, routes: server } = ctx;

  server.serve(routes['mail.list'], async ({ query }) => mail.outbox.list(query));
  server.serve(routes['mail.summary'], async () => mail.outbox.summary());
  server.serve(routes['mail.retry'], async ({ params }) => {
    const message = await mail.outbox.retry(params.id);
    mail.worker.wake();
    return message;
  });
  server.serve(routes['mail.discard'], async ({ params }) => mail.outbox.discard(params.id));

  app.log.info({ transport: mail.transport.describe }, 'mail outbox started');
  mail.start();
  // preClose: before the database client closes (onClose hooks), so sends in flight can record their outcome.
  app.addHook('preClose', async () => {
    await mail.stop();
  });
}
