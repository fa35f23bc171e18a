import { alertSchema, idParamsSchema } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/guard';
import type { AppContext } from '../context';

const alertListQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

export function registerAlertRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { alerts } = ctx;
  const r = app.withTypeProvider<ZodTypeProvider>();

  // The same audience as the event's sync bucket: its organizer, its staff, admins.
  r.get(
    '/events/:id/alerts',
    {
      preHandler: ctx.guard.permission('checkins.record'),
      schema: {
        tags: ['alerts'],
        params: idParamsSchema,
        querystring: alertListQuerySchema,
        response: { 200: z.object({ items: z.array(alertSchema) }) },
      },
    },
    async (request) => {
      await ctx.events.assertCanCheckIn(principalOf(request).user, request.params.id);
      return { items: await alerts.listForEvent(request.params.id, request.query.limit) };
    },
  );
}
