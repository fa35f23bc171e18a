import { z } from 'zod';
import { idSchema } from '../common';

/** Params and results several sections of the RPC table share. */
export const nothing = z.strictObject({});
export const ok = z.object({ ok: z.literal(true) });
export const eventIdParams = z.strictObject({ eventId: idSchema });
