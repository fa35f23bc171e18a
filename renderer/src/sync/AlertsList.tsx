import type { Event } from '@gatehouse/protocol';
import { EmptyState } from '../ui/EmptyState';
import { formatDateTime } from '../ui/format';
import { type ListedAlert, useSyncStore } from './syncStore';

const ALERT_LABELS = {
  duplicateEntry: 'Duplicate entry',
  cancelledCheckin: 'Cancelled ticket used',
  overCapacity: 'Over capacity',
} as const;

/**
 * The alerts of the chosen event (or of every event on this device), named by guest: each can be
 * acknowledged — offline too; it syncs to every device of the event — and acknowledged ones show
 * who and when, dimmed. "Unacknowledged only" (on by default) leaves out what someone has seen to.
 */
export function AlertsList({ event }: { event: Event | null }) {
  const { alerts, unacknowledgedOnly, setUnacknowledgedOnly, acknowledge } = useSyncStore();
  return (
    <section className="card" aria-labelledby="alerts-title">
      <div className="section-header">
        <h2 id="alerts-title">Alerts{event ? ` at ${event.title}` : ''}</h2>
        <label className="inline-label">
          <input
            type="checkbox"
            checked={unacknowledgedOnly}
            onChange={(e) => void setUnacknowledgedOnly(e.target.checked)}
          />
          Unacknowledged only
        </label>
      </div>
      {alerts.length === 0 ? (
        <EmptyState
          title={unacknowledgedOnly ? 'No alerts waiting for someone.' : 'No duplicate entries or other alerts.'}
        />
      ) : (
        <ul className="issue-list" data-testid="alerts">
          {alerts.map((alert) => (
            <AlertItem key={alert.id} alert={alert} event={event} onAcknowledge={() => void acknowledge(alert)} />
          ))}
        </ul>
      )}
    </section>
  );
}

function AlertItem({
  alert,
  event,
  onAcknowledge,
}: {
  alert: ListedAlert;
  event: Event | null;
  onAcknowledge: () => void;
}) {
  const guest = alert.attendeeName || 'a booking not on this device';
  const acknowledged = alert.acknowledgement;
  return (
    <li className={`alert-${alert.kind}${acknowledged ? ' alert-acknowledged' : ''}`}>
      <p>
        <strong>{ALERT_LABELS[alert.kind]}</strong>: {guest}
        {event ? '' : ` at ${alert.eventTitle || 'an event not on this device'}`}
      </p>
      <p className="hint">
        {/* The server's words name the booking by id; people read the name above instead. */}
        {alert.message.replace(` ${alert.bookingId}`, '')} · {formatDateTime(alert.createdAt, event?.timezone)}
      </p>
      {acknowledged ? (
        <p className="hint" data-testid="alert-acknowledgement">
          Acknowledged by {acknowledged.userName || 'someone'} ·{' '}
          {formatDateTime(acknowledged.acknowledgedAt, event?.timezone)}
          {acknowledged.note ? ` · ${acknowledged.note}` : ''}
        </p>
      ) : (
        <button
          type="button"
          className="button-small"
          aria-label={`Acknowledge: ${ALERT_LABELS[alert.kind]}, ${guest}`}
          onClick={onAcknowledge}
        >
          Acknowledge
        </button>
      )}
    </li>
  );
}
