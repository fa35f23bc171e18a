import {
  mailIdParamsSchema,
  mailListQuerySchema,
  mailMessageSchema,
  mailSummarySchema,
  pageSchema,
} from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';

/**
 * The mail domain: outbox indexes, the admin dead-letter routes, and the sweeper + worker, which
 * run for the life of the server and stop (finishing the sends in flight) when it closes.
 */
export function registerMailDomain(app: FastifyInstance, ctx: AppContext): void {
  const { mail, guard } = ctx;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = { preHandler: guard.permission('mail.manage') };

  r.get(
    '/admin/mail',
    {
      ...admin,
      schema: { tags: ['mail'], querystring: mailListQuerySchema, response: { 200: pageSchema(mailMessageSchema) } },
    },
    async (request) => mail.outbox.list(request.query),
  );

  r.get(
    '/admin/mail/summary',
    { ...admin, schema: { tags: ['mail'], response: { 200: mailSummarySchema } } },
    async () => mail.outbox.summary(),
  );

  r.post(
    '/admin/mail/:id/retry',
    { ...admin, schema: { tags: ['mail'], params: mailIdParamsSchema, response: { 200: mailMessageSchema } } },
    async (request) => {
      const message = await mail.outbox.retry(request.params.id);
      mail.worker.wake();
      return message;
    },
  );

  r.post(
    '/admin/mail/:id/discard',
    { ...admin, schema: { tags: ['mail'], params: mailIdParamsSchema, response: { 200: mailMessageSchema } } },
    async (request) => mail.outbox.discard(request.params.id),
  );

  app.log.info({ transport: mail.transport.describe }, 'mail outbox started');
  mail.start();
  // preClose: before the database client closes (onClose hooks), so sends in flight can record their outcome.
  app.addHook('preClose', async () => {
    await mail.stop();
  });
}
