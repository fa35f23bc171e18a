import type { SyncStatus } from '@gatehouse/protocol';
import type { Account } from './account';

/** What the core knows besides the open account: whether the server answered, the skew, a store that could not open. */
export type DeviceSyncView = {
  reachable: boolean;
  /** Device clock minus server clock (ms), as last measured; null before the first answer. */
  clockSkewMs: number | null;
  /** Why the account's store could not open (LOCAL_STORE_CORRUPT), shown as the last error. */
  storeProblem: string | null;
};

/** The sync status the UI shows (`sync.status`): the open account's phase, outbox and engine, or signed out. */
export function syncStatusOf(account: Account | null, view: DeviceSyncView): SyncStatus {
  if (!account) {
    return {
      signedIn: false,
      online: view.reachable,
      liveConnected: false,
      pending: 0,
      lastSyncAt: null,
      lastError: view.storeProblem,
      updateNeeded: null,
      progress: null,
      phase: null,
      indexProgress: null,
      rejected: [],
      clockSkewMs: view.clockSkewMs,
    };
  }
  const { store, engine, indexer } = account;
  const phase = store.phase();
  return {
    signedIn: true,
    online: view.reachable,
    liveConnected: engine.status.liveConnected,
    pending: store.outbox.count(),
    lastSyncAt: store.state.get('lastSyncAt'),
    lastError: engine.status.lastError,
    updateNeeded: engine.status.lastErrorCode === 'PROTOCOL_UNSUPPORTED' ? engine.status.lastError : null,
    progress: engine.status.progress,
    phase,
    indexProgress:
      phase === 'indexing' || phase === 'readyToScan' ? (indexer.progress ?? store.searchIndex.progress()) : null,
    rejected: store.rejected(),
    clockSkewMs: view.clockSkewMs,
  };
}
