import { formatTime } from '../ui/format';
import type { RecentScan } from './checkinStore';

export function RecentScans({ scans }: { scans: RecentScan[] }) {
  return (
    <section className="card recent" aria-labelledby="recent-title">
      <h2 id="recent-title">Last scans</h2>
      {scans.length === 0 ? (
        <p className="hint">No scans yet.</p>
      ) : (
        <ol className="recent-list">
          {scans.map((scan) => (
            <li key={scan.id} className={`recent-${scan.verdict}`}>
              {/* A ticket admitted on its signature before its booking arrived has no name here yet. */}
              <span className="recent-name truncate" title={scan.attendeeName || undefined}>
                {scan.attendeeName || 'Booking not yet on this device'}
              </span>
              <span className="recent-verdict">{VERDICT_WORDS[scan.verdict] ?? scan.verdict}</span>
              <span className="recent-meta truncate" title={scan.gate}>
                {formatTime(scan.scannedAt)} · {scan.gate}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

const VERDICT_WORDS: Record<string, string> = {
  admit: 'Admitted',
  exit: 'Left',
  duplicate: 'Duplicate',
  noReentry: 'No re-entry',
  undone: 'Undone',
  cancelled: 'Cancelled',
  wrongEvent: 'Wrong event',
  invalid: 'Invalid',
};
