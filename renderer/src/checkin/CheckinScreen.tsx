import { hasRoleAtLeast } from '@gatehouse/protocol';
import { useCallback, useEffect, useId } from 'react';
import { onDataChanged } from '../rpc/dataChanged';
import { useSessionStore } from '../session/sessionStore';
import { PhaseNotice } from '../sync/PhaseNotice';
import { EmptyState } from '../ui/EmptyState';
import { ErrorNotice } from '../ui/ErrorNotice';
import { EventPicker, useCurrentEvent } from '../ui/EventPicker';
import { CameraScanner } from './CameraScanner';
import { useCheckinStore } from './checkinStore';
import { CountersPanel } from './CountersPanel';
import { ManualSearch } from './ManualSearch';
import { RecentScans } from './RecentScans';
import { RefusedScans } from './RefusedScans';
import { useKeyboardWedge } from './useKeyboardWedge';
import { VerdictPanel } from './VerdictPanel';

export function CheckinScreen() {
  const gateId = useId();
  const event = useCurrentEvent();
  const {
    gate,
    setGate,
    direction,
    setDirection,
    result,
    resultSerial,
    recent,
    counters,
    error,
    clearError,
    scan,
    refresh,
    undo,
    undone,
  } = useCheckinStore();
  const eventId = event?.id ?? null;
  const session = useSessionStore((state) => state.session);
  const undoRight = {
    manager: session?.user ? hasRoleAtLeast(session.user.role, 'organizer') : false,
    deviceId: session?.deviceId ?? '',
  };

  const onScan = useCallback(
    (text: string) => {
      if (eventId) void scan(eventId, text.trim());
    },
    [eventId, scan],
  );
  useKeyboardWedge(onScan, Boolean(eventId));

  useEffect(() => {
    if (!eventId) return;
    void refresh(eventId);
    return onDataChanged(eventId, () => void refresh(eventId), 300);
  }, [eventId, gate, refresh]);

  return (
    <section className="screen" aria-labelledby="checkin-title">
      <header className="screen-header">
        <h1 id="checkin-title">Check-in</h1>
        <div className="toolbar">
          <EventPicker />
          <div className="gate-field">
            <label htmlFor={gateId}>Gate</label>
            <input id={gateId} value={gate} onChange={(e) => setGate(e.target.value)} maxLength={64} />
          </div>
          <div className="segmented" role="group" aria-label="Gate mode">
            <button type="button" aria-pressed={direction === 'in'} onClick={() => setDirection('in')}>
              Entry
            </button>
            <button type="button" aria-pressed={direction === 'out'} onClick={() => setDirection('out')}>
              Exit
            </button>
          </div>
        </div>
      </header>
      <PhaseNotice />
      {!event ? (
        <EmptyState title="No event chosen.">
          <p>Pick the event you are checking in for. Events assigned to you appear after the first sync.</p>
        </EmptyState>
      ) : (
        <div className="checkin-grid">
          <div className="checkin-main">
            <VerdictPanel
              result={result}
              serial={resultSerial}
              undone={result?.checkinId != null && result.checkinId === undone}
              onUndo={() => void undo(event.id)}
            />
            <ErrorNotice error={error} onDismiss={clearError} />
            <div className="checkin-inputs">
              <ManualSearch eventId={event.id} />
              <CameraScanner onScan={onScan} />
            </div>
          </div>
          <div className="checkin-side">
            <CountersPanel counters={counters} gate={gate} />
            <RecentScans
              scans={recent}
              timeZone={event.timezone}
              undoRight={undoRight}
              onUndo={(checkinId) => void undo(event.id, checkinId)}
            />
            <RefusedScans eventId={event.id} timeZone={event.timezone} />
          </div>
        </div>
      )}
    </section>
  );
}
