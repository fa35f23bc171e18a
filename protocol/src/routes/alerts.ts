import { z } from 'zod';
import { defineRoute } from '../routing';
import { alertSchema } from '../sync';
import { idParamsSchema } from '../users';

const alertListQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

/** Alerts over HTTP; devices receive the same alerts by sync, in the event's bucket. */
export const alertsRoutes = {
  'alerts.listForEvent': defineRoute({
    method: 'GET',
    path: '/events/:id/alerts',
    tags: ['alerts'],
    description:
      "The event's alerts (duplicate entries, cancelled check-ins, over-capacity walk-ins), newest first, " +
      'for its organizer, assigned staff and admins.',
    access: { permission: 'checkins.record' },
    params: idParamsSchema,
    query: alertListQuerySchema,
    responses: { 200: z.object({ items: z.array(alertSchema) }) },
  }),
} as const;
