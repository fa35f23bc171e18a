import { deviceSchema, mailMessageSchema, pageSchema, userSchema } from '@gatehouse/protocol';
import { z } from 'zod';
import type { RpcHandlers } from '../types';

/** Lists come as `{items}` pages from the server; accept a bare array too. */
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .union([z.array(item), z.object({ items: z.array(item) })])
    .transform((value) => (Array.isArray(value) ? value : value.items));

/** Admin screens are online only: a straight pass-through to the sync server with the user's token. */
export const adminHandlers: RpcHandlers<
  | 'admin.users.list'
  | 'admin.users.update'
  | 'admin.devices.list'
  | 'admin.devices.revoke'
  | 'admin.mail.list'
  | 'admin.mail.retry'
  | 'admin.mail.discard'
> = {
  'admin.users.list': (core, { q, cursor }) => {
    const query = new URLSearchParams();
    if (q) query.set('q', q);
    if (cursor) query.set('cursor', cursor);
    return core.requireServer().api.request('GET', `/users?${query}`, { schema: pageSchema(userSchema) });
  },
  'admin.users.update': (core, { userId, patch }) =>
    core.requireServer().api.request('PATCH', `/users/${userId}`, { body: patch, schema: userSchema }),
  'admin.devices.list': (core) => core.requireServer().api.request('GET', '/devices', { schema: listOf(deviceSchema) }),
  'admin.devices.revoke': async (core, { deviceId }) => {
    await core
      .requireServer()
      .api.request('DELETE', `/devices/${encodeURIComponent(deviceId)}`, { schema: z.unknown() });
    return { ok: true as const };
  },
  'admin.mail.list': (core, { status }) =>
    core
      .requireServer()
      .api.request('GET', `/mail${status ? `?status=${status}` : ''}`, { schema: listOf(mailMessageSchema) }),
  'admin.mail.retry': async (core, { messageId }) => {
    await core
      .requireServer()
      .api.request('POST', `/mail/${encodeURIComponent(messageId)}/retry`, { body: {}, schema: z.unknown() });
    return { ok: true as const };
  },
  'admin.mail.discard': async (core, { messageId }) => {
    await core
      .requireServer()
      .api.request('POST', `/mail/${encodeURIComponent(messageId)}/discard`, { body: {}, schema: z.unknown() });
    return { ok: true as const };
  },
};
