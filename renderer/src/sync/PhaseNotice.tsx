import { useSyncStore } from './syncStore';
import { phaseNotice } from './syncPhase';

/** The device's sync phase while it is not yet ready (first download, then the search index). */
export function PhaseNotice({ showProgress = true }: { showProgress?: boolean }) {
  const notice = phaseNotice(useSyncStore((state) => state.status));
  if (!notice) return null;
  return (
    <div className={`notice notice-${notice.tone}`} role="status" data-testid="sync-phase" data-phase={notice.phase}>
      <p>{notice.text}</p>
      {showProgress && notice.progress ? (
        <div className="progress-row">
          <span>{notice.progress.label}</span>
          <progress
            max={Math.max(notice.progress.total, 1)}
            value={notice.progress.done}
            aria-label={notice.progress.label}
          />
        </div>
      ) : null}
    </div>
  );
}
