import { z } from 'zod';
import { idSchema } from '../common';
import { alertSchema, MAX_ACKNOWLEDGEMENT_NOTE } from '../sync';
import { syncStatusSchema } from './shapes';
import { nothing, ok } from './helpers';

/** The sync methods of the RPC table (rpc/index.ts `rpcMethods`). */
export const syncRpc = {
  // sync
  'sync.status': { params: nothing, result: syncStatusSchema },
  'sync.now': { params: nothing, result: syncStatusSchema },
  /** Alerts of one event (or all on this device), newest first, with the guest's name and event's title ('' when not held). */
  'sync.alerts': {
    params: z.strictObject({ eventId: idSchema.optional(), unacknowledgedOnly: z.boolean().optional() }),
    result: z.array(alertSchema.extend({ attendeeName: z.string(), eventTitle: z.string() })),
  },
  /**
   * Acknowledges an alert on this device (an `alert.acknowledge`, queued and synced; works offline)
   * and answers the alert as it now shows (one already acknowledged as it is, nothing queued).
   * ALERT_NOT_FOUND for an alert not on this device or not of `eventId`; FORBIDDEN for a role that
   * does not see the door (attendees).
   */
  'alerts.acknowledge': {
    params: z.strictObject({
      eventId: idSchema,
      alertId: idSchema,
      note: z.string().trim().min(1).max(MAX_ACKNOWLEDGEMENT_NOTE).optional(),
    }),
    result: alertSchema,
  },
  'sync.dismissRejected': { params: z.strictObject({ mutationId: z.string() }), result: ok },
  /** Moves a damaged local database aside (kept) and resyncs; unsent changes still readable are kept. */
  'sync.recoverStore': {
    params: nothing,
    result: z.object({ movedTo: z.string(), salvagedMutations: z.number().int() }),
  },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;
