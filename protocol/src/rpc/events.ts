import { z } from 'zod';
import { idSchema } from '../common';
import { eventCreateSchema, eventPatchSchema, eventSchema, eventStaffSchema, eventStatsSchema } from '../events';
import { gateSchema } from '../sync';
import { eventCountersSchema } from './shapes';
import { eventIdParams } from './helpers';

/** The events methods of the RPC table (rpc/index.ts `rpcMethods`). */
export const eventsRpc = {
  // events
  'events.list': {
    params: z.strictObject({ q: z.string().max(200).optional() }),
    result: z.array(eventSchema),
  },
  'events.get': { params: eventIdParams, result: eventSchema },
  'events.create': { params: z.strictObject({ event: eventCreateSchema }), result: eventSchema },
  'events.update': { params: z.strictObject({ eventId: idSchema, patch: eventPatchSchema }), result: eventSchema },
  'events.setStaff': {
    params: z.strictObject({ eventId: idSchema, staffIds: z.array(idSchema).max(500) }),
    result: eventSchema,
  },
  /** Online only: the staff directory lives on the server. */
  'events.staff': {
    params: z.strictObject({ eventId: idSchema, q: z.string().trim().max(100).optional() }),
    result: eventStaffSchema,
  },
  'events.counters': {
    params: z.strictObject({ eventId: idSchema, gate: gateSchema.optional() }),
    result: eventCountersSchema,
  },
  /**
   * The event's figures as the server counts them from every device that synced (by ticket type,
   * gate and hour): online only, OFFLINE without the server. For organizers, admins and its staff.
   */
  'events.stats': { params: eventIdParams, result: eventStatsSchema },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;
