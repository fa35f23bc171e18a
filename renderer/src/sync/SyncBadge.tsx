import { useSyncStore } from './syncStore';

/** Always visible in the sidebar: whether this device reaches the server and what still waits to go. */
export function SyncBadge() {
  const status = useSyncStore((state) => state.status);
  if (!status) return null;
  const online = status.online;
  return (
    <section className="sync-badge" aria-label="Connection" role="status" data-testid="sync-badge">
      <p className={online ? 'pill pill-online' : 'pill pill-offline'} data-testid="connection">
        {online ? 'Online' : 'Offline'}
      </p>
      <p>
        <span data-testid="pending-count">{status.pending}</span> {status.pending === 1 ? 'change' : 'changes'} to send
      </p>
      {status.updateNeeded ? (
        <p className="notice notice-warning" data-testid="update-needed">
          {status.updateNeeded}
        </p>
      ) : null}
      {status.progress ? (
        <progress
          max={Math.max(status.progress.total, 1)}
          value={status.progress.done}
          aria-label="Initial sync progress"
        />
      ) : null}
    </section>
  );
}
