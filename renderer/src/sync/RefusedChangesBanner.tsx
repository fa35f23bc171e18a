import { useNavigationStore } from '../shell/navigationStore';
import { describeRefusedChange, nextStepFor } from './refusedChange';
import { useSyncStore } from './syncStore';

/** At most this many refusals are spelled out above the screen; the Sync screen lists them all. */
const SHOWN = 2;

/**
 * Above every screen: what the server refused of this device's work, naming the guest and the event
 * (kept from when it was refused, so an event that has since left this device is still named), and
 * what to do next. Stays until dismissed, here or on the Sync screen.
 */
export function RefusedChangesBanner() {
  // The selector returns the store's own array (a fresh `[]` each call would re-render forever).
  const rejected = useSyncStore((state) => state.status?.rejected);
  const dismiss = useSyncStore((state) => state.dismissRejected);
  const go = useNavigationStore((state) => state.go);
  if (!rejected || rejected.length === 0) return null;
  const more = rejected.length - SHOWN;
  return (
    <div className="refused-banner" role="alert" aria-label="Refused by the server">
      {rejected.slice(0, SHOWN).map((change) => (
        <div key={change.mutationId} className="notice notice-error refused-change">
          <p>
            <strong>{describeRefusedChange(change)}</strong>
          </p>
          <p className="notice-detail">{nextStepFor(change)}</p>
          <button type="button" className="button-small" onClick={() => void dismiss(change.mutationId)}>
            Dismiss
          </button>
        </div>
      ))}
      {more > 0 ? (
        <button type="button" className="button-link" onClick={() => go('sync')}>
          {more} more on the Sync screen
        </button>
      ) : null}
    </div>
  );
}
