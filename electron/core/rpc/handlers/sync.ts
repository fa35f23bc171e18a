import type { RpcHandlers } from '../types';

export const syncHandlers: RpcHandlers<
  'sync.status' | 'sync.now' | 'sync.alerts' | 'sync.dismissRejected' | 'sync.recoverStore'
> = {
  'sync.status': ({ session }) => session.syncStatus(),
  'sync.now': ({ session }) => session.syncNow(),
  'sync.alerts': ({ account }, { eventId, unacknowledgedOnly }) =>
    account().checkins.alerts(eventId, { unacknowledgedOnly }),
  'sync.dismissRejected': ({ account }, { mutationId }) => {
    account().store.dismissRejected(mutationId);
    return { ok: true as const };
  },
  'sync.recoverStore': ({ session }) => session.recoverStore(),
};
