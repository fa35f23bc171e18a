import { routes, type Device } from '@gatehouse/protocol';
import type { RpcHandlers } from '../types';

/**
 * Most recently seen first, as the Devices screen shows them. The server pages devices by when
 * each was first seen (last-seen moves on every sync, so paging on it would lose devices), so the
 * order is ours to make once every page is in.
 */
function lastSeenFirst(devices: Device[]): Device[] {
  return [...devices].sort(
    (a, b) => Date.parse(b.lastSeenAt) - Date.parse(a.lastSeenAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** Admin screens are online only: a straight pass-through to the sync server with the user's token. */
export const adminHandlers: RpcHandlers<
  | 'admin.users.list'
  | 'admin.users.update'
  | 'admin.devices.list'
  | 'admin.devices.revoke'
  | 'admin.mail.list'
  | 'admin.mail.retry'
  | 'admin.mail.discard'
  | 'admin.users.endSessions'
  | 'admin.devices.importUnsent'
> = {
  'admin.users.endSessions': ({ account }, { userId }) =>
    account()
      .online()
      .api.call(routes['users.endSessions'], { params: { id: userId } }),
  'admin.devices.importUnsent': ({ account }, { file }) =>
    account().online().api.call(routes['devices.importUnsent'], { body: file }, { timeoutMs: 120_000 }),
  'admin.users.list': ({ account }, { q, cursor }) =>
    account()
      .online()
      .api.call(routes['users.list'], { query: { ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) } }),
  'admin.users.update': ({ account }, { userId, patch }) =>
    account()
      .online()
      .api.call(routes['users.update'], { params: { id: userId }, body: patch }),
  'admin.devices.list': async ({ account }) =>
    lastSeenFirst(await account().online().api.callAllPages(routes['devices.list'], {})),
  'admin.devices.revoke': async ({ account }, { deviceId }) => {
    await account()
      .online()
      .api.call(routes['devices.revoke'], { params: { id: deviceId } });
    return { ok: true as const };
  },
  'admin.mail.list': ({ account }, { status }) =>
    account()
      .online()
      .api.callAllPages(routes['mail.list'], { query: status ? { status } : {} }),
  'admin.mail.retry': async ({ account }, { messageId }) => {
    await account()
      .online()
      .api.call(routes['mail.retry'], { params: { id: messageId } });
    return { ok: true as const };
  },
  'admin.mail.discard': async ({ account }, { messageId }) => {
    await account()
      .online()
      .api.call(routes['mail.discard'], { params: { id: messageId } });
    return { ok: true as const };
  },
};
