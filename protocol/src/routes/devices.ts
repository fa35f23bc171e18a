import { z } from 'zod';
import { cursorSchema, limitSchema, pageSchema } from '../common';
import { defineRoute } from '../routing';
import { unsentExportSchema, unsentImportResultSchema } from '../unsent';
import { deviceSchema, idParamsSchema } from '../users';

/** A page of devices (no search: a user has few, an admin pages through all). */
export const deviceListQuerySchema = z.strictObject({ limit: limitSchema, cursor: cursorSchema.optional() });

/**
 * The devices that sync: an admin (`devices.manage`) sees and revokes every device, anyone else
 * only their own (the scope is part of the query, so another user's device is NOT_FOUND).
 */
export const devicesRoutes = {
  'devices.list': defineRoute({
    method: 'GET',
    path: '/devices',
    tags: ['devices'],
    description:
      "The caller's devices (every device for an admin), in the order they were first seen (oldest first) — " +
      'not by `lastSeenAt`, which every sync moves. A walk with `cursor` lists every device exactly once; ' +
      'sort by `lastSeenAt` on your side.',
    access: 'signedIn',
    query: deviceListQuerySchema,
    responses: { 200: pageSchema(deviceSchema) },
  }),
  'devices.revoke': defineRoute({
    method: 'DELETE',
    path: '/devices/:id',
    tags: ['devices'],
    description:
      'Revokes a device and its refresh tokens, so it can neither sync nor sign in again silently; ' +
      "answers the revoked device. Another user's device is NOT_FOUND unless the caller is an admin.",
    access: 'signedIn',
    params: idParamsSchema,
    responses: { 200: deviceSchema },
  }),
  'devices.importUnsent': defineRoute({
    method: 'POST',
    path: '/admin/unsent-imports',
    tags: ['devices'],
    description:
      'Applies the unsent changes a device saved to a file when it lost its access (revoked, or its account ' +
      "disabled), with the importing admin's authority and under the device's id. Exactly once: a change " +
      'the server already applied is skipped, and importing the same file again changes nothing.',
    access: { permission: 'devices.manage' },
    body: unsentExportSchema,
    responses: { 200: unsentImportResultSchema },
  }),
} as const;
