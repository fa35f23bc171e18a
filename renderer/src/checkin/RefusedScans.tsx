import type { RpcResult } from '@gatehouse/protocol';
import { useEffect, useState } from 'react';
import { describeError, type UiError } from '../errors/messages';
import { onDataChanged } from '../rpc/dataChanged';
import { invoke } from '../rpc/client';
import { EmptyState } from '../ui/EmptyState';
import { ErrorNotice } from '../ui/ErrorNotice';
import { formatDateTime } from '../ui/format';
import { REFUSAL_WORDS } from './refusalWords';

type Listed = RpcResult<'checkin.refusals'>[number];

function who(refusal: Listed): string {
  if (refusal.attendeeName) return refusal.attendeeName;
  if (refusal.bookingId) return `Booking ${refusal.bookingId.slice(0, 8)}`;
  return 'No ticket read';
}

/**
 * What every door of the event refused, newest first, as synced: why, where, which device, when
 * (on the event's clock). Beside Last scans on the check-in screen, the door's audit.
 */
export function RefusedScans({ eventId, timeZone }: { eventId: string; timeZone: string }) {
  const [rows, setRows] = useState<Listed[]>([]);
  const [error, setError] = useState<UiError | null>(null);

  useEffect(() => {
    const load = () =>
      invoke('checkin.refusals', { eventId, limit: 100 }).then(
        (found) => {
          setRows(found);
          setError(null);
        },
        (failure: unknown) => setError(describeError(failure)),
      );
    void load();
    return onDataChanged(eventId, () => void load(), 300);
  }, [eventId]);

  return (
    <section className="card refused" aria-labelledby="refused-title">
      <h2 id="refused-title">Refused at the door</h2>
      <ErrorNotice error={error} />
      {rows.length === 0 ? (
        <EmptyState title="No refused scans for this event." />
      ) : (
        // It scrolls inside its card (styles.css); focusable, so a keyboard can scroll it too.
        <ul className="issue-list" data-testid="refused-scans" tabIndex={0} aria-labelledby="refused-title">
          {rows.map((refusal) => (
            <li key={refusal.id}>
              <p>
                <strong>{REFUSAL_WORDS[refusal.reason]}</strong>: {who(refusal)}
              </p>
              <p className="hint">
                {refusal.gate} ({refusal.direction === 'in' ? 'entry' : 'exit'}) · device {refusal.deviceId.slice(0, 8)}{' '}
                · {formatDateTime(refusal.scannedAt, timeZone)}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
