import { VOID_WINDOW_MS } from '@gatehouse/protocol';
import { formatClock } from '../ui/format';
import type { LastScan } from './lastScans';

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

/** Who may undo an admission (protocol's voidRefusal): a manager always, its own device for a while. */
export type UndoRight = { manager: boolean; deviceId: string };

function mayUndo(scan: LastScan, right: UndoRight, now: number): boolean {
  if (!scan.undoableCheckinId) return false;
  if (right.manager) return true;
  // Judged again by core on the HLC; this only keeps a button off that would surely be refused.
  return scan.deviceId === right.deviceId && now - Date.parse(scan.scannedAt) < VOID_WINDOW_MS;
}

/**
 * Every verdict the event's doors gave, newest first, times on the event's clock (as the verdict
 * panel's): admissions with an Undo for whoever may undo them, exits, undos and refusals with why.
 */
export function RecentScans({
  scans,
  timeZone,
  undoRight,
  onUndo,
}: {
  scans: LastScan[];
  timeZone: string;
  undoRight: UndoRight;
  onUndo: (checkinId: string) => void;
}) {
  const now = Date.now();
  return (
    <section className="card recent" aria-labelledby="recent-title">
      <h2 id="recent-title">Last scans</h2>
      {scans.length === 0 ? (
        <p className="hint">No scans yet.</p>
      ) : (
        <ol className="recent-list">
          {scans.map((scan) => {
            // A ticket admitted on its signature before its booking arrived has no name here yet.
            const name = scan.attendeeName || (scan.reason ? 'No booking read' : 'Booking not yet on this device');
            return (
              <li key={scan.id} className={`recent-${scan.verdict}`} data-verdict={scan.verdict}>
                <span className="recent-name truncate" title={name}>
                  {name}
                </span>
                <span className="recent-verdict">{VERDICT_WORDS[scan.verdict] ?? scan.verdict}</span>
                <span className="recent-meta truncate" title={scan.reason ?? scan.gate}>
                  {formatClock(scan.scannedAt, timeZone)} · {scan.gate}
                  {scan.reason ? ` · ${scan.reason}` : ''}
                </span>
                {scan.undoableCheckinId && mayUndo(scan, undoRight, now) ? (
                  <button
                    type="button"
                    className="button-small recent-undo"
                    aria-label={`Undo admission of ${name} at ${formatClock(scan.scannedAt, timeZone)}`}
                    onClick={() => onUndo(scan.undoableCheckinId!)}
                  >
                    Undo
                  </button>
                ) : null}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
