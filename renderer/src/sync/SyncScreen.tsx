import { useEffect } from 'react';
import { EmptyState } from '../ui/EmptyState';
import { ErrorNotice } from '../ui/ErrorNotice';
import { formatAgo, formatDateTime } from '../ui/format';
import { plainWordsFor } from '../errors/messages';
import { useCurrentEvent } from '../ui/EventPicker';
import { AlertsList } from './AlertsList';
import { PhaseNotice } from './PhaseNotice';
import { describeRefusedChange } from './refusedChange';
import { useSyncStore } from './syncStore';

export function SyncScreen() {
  const { status, error, syncing, load, loadAlerts, syncNow, dismissRejected } = useSyncStore();
  const event = useCurrentEvent();
  const eventId = event?.id;

  useEffect(() => {
    void load();
    void loadAlerts(eventId);
  }, [load, loadAlerts, eventId]);

  return (
    <section className="screen" aria-labelledby="sync-title">
      <header className="screen-header">
        <h1 id="sync-title">Sync</h1>
        <button type="button" className="button-primary" onClick={() => void syncNow()} disabled={syncing}>
          {syncing ? 'Syncing…' : 'Sync now'}
        </button>
      </header>
      <ErrorNotice error={error} />
      {status ? (
        <div className="card sync-summary">
          <dl className="facts">
            <div>
              <dt>Connection</dt>
              <dd className={status.online ? 'text-online' : 'text-offline'}>
                {status.online ? 'Online' : 'Offline'}
                {status.online && !status.liveConnected ? ' (polling)' : ''}
              </dd>
            </div>
            <div>
              <dt>Changes waiting to send</dt>
              <dd>{status.pending}</dd>
            </div>
            <div>
              <dt>Last sync</dt>
              <dd title={status.lastSyncAt ?? ''}>{formatAgo(status.lastSyncAt)}</dd>
            </div>
            <div>
              <dt>Clock difference</dt>
              <dd>{status.clockSkewMs === null ? 'unknown' : `${Math.round(status.clockSkewMs / 1000)} s`}</dd>
            </div>
            <div>
              <dt>This device</dt>
              <dd data-testid="sync-phase-label">{PHASE_LABELS[status.phase ?? 'ready']}</dd>
            </div>
          </dl>
          <PhaseNotice />
          {status.progress && status.phase !== 'syncing' ? (
            <div className="progress-row">
              <label htmlFor="sync-progress">
                Downloading {status.progress.done.toLocaleString()} of {status.progress.total.toLocaleString()}
              </label>
              <progress id="sync-progress" max={Math.max(status.progress.total, 1)} value={status.progress.done} />
            </div>
          ) : null}
          {status.lastError ? <p className="notice notice-warning">Last problem: {status.lastError}</p> : null}
        </div>
      ) : null}
      <div className="two-columns">
        <section className="card" aria-labelledby="rejected-title">
          <h2 id="rejected-title">Changes the server refused or overruled</h2>
          {!status || status.rejected.length === 0 ? (
            <EmptyState title="None. Everything sent was accepted." />
          ) : (
            <ul className="issue-list">
              {status.rejected.map((item) => (
                <li key={item.mutationId}>
                  <p>
                    <strong>{describeRefusedChange(item)}</strong> {plainWordsFor(item.code)}
                  </p>
                  <p className="hint">
                    {item.message} · {formatDateTime(item.at)}
                  </p>
                  <button type="button" className="button-small" onClick={() => void dismissRejected(item.mutationId)}>
                    Dismiss
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
        <AlertsList event={event ?? null} />
      </div>
    </section>
  );
}

const PHASE_LABELS = {
  syncing: 'Downloading events and bookings',
  readyToScan: 'Ready to scan; search index next',
  indexing: 'Ready to scan; building the search index',
  ready: 'Ready: scan and search',
} as const;
