import { z } from 'zod';
import { defineRoute } from '../routing';

/** The answer of the health probes, with the protocol versions the server accepts (version.ts). */
export const healthStatusSchema = z.object({
  status: z.literal('ok'),
  /** Absent on servers from before protocol versions (they speak version 1). */
  protocol: z.object({ min: z.number().int(), max: z.number().int() }).optional(),
});

/** Probes for the orchestrator; the server exempts them from the rate limit. */
export const healthRoutes = {
  'health.live': defineRoute({
    method: 'GET',
    path: '/health',
    tags: ['health'],
    description:
      'Liveness: the process answers. Never touches the database, so a slow database does not get it killed.',
    access: 'public',
    responses: { 200: healthStatusSchema },
  }),
  'health.ready': defineRoute({
    method: 'GET',
    path: '/ready',
    tags: ['health'],
    description: 'Readiness: the database answers a ping within its timeout; SERVICE_UNAVAILABLE (503) otherwise.',
    access: 'public',
    responses: { 200: healthStatusSchema },
  }),
} as const;
