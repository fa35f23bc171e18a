import { routes } from '@gatehouse/protocol';
import type { RpcHandlers } from '../types';

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
  'admin.users.list': (core, { q, cursor }) =>
    core
      .requireServer()
      .api.call(routes['users.list'], { query: { ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) } }),
  'admin.users.update': (core, { userId, patch }) =>
    core.requireServer().api.call(routes['users.update'], { params: { id: userId }, body: patch }),
  'admin.devices.list': (core) => core.requireServer().api.callAllPages(routes['devices.list'], {}),
  'admin.devices.revoke': async (core, { deviceId }) => {
    await core.requireServer().api.call(routes['devices.revoke'], { params: { id: deviceId } });
    return { ok: true as const };
  },
  'admin.mail.list': (core, { status }) =>
    core.requireServer().api.callAllPages(routes['mail.list'], { query: status ? { status } : {} }),
  'admin.mail.retry': async (core, { messageId }) => {
    await core.requireServer().api.call(routes['mail.retry'], { params: { id: messageId } });
    return { ok: true as const };
  },
  'admin.mail.discard': async (core, { messageId }) => {
    await core.requireServer().api.call(routes['mail.discard'], { params: { id: messageId } });
    return { ok: true as const };
  },
};
