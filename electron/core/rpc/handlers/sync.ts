import type { RpcHandlers } from '../types';

export const syncHandlers: RpcHandlers<
  'sync.status' | 'sync.now' | 'sync.alerts' | 'sync.dismissRejected' | 'sync.recoverStore'
> = {
  'sync.status': (core) => core.syncStatus(),
  'sync.now': (core) => core.syncNow(),
  'sync.alerts': (core, { eventId }) => core.alerts(eventId),
  'sync.dismissRejected': (core, { mutationId }) => {
    core.requireAccount().store.dismissRejected(mutationId);
    return { ok: true as const };
  },
  'sync.recoverStore': (core) => core.recoverStore(),
};
