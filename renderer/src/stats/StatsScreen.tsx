import type { EventStats, RefusalReason } from '@gatehouse/protocol';
import { useEffect, useState } from 'react';
import { REFUSAL_WORDS } from '../checkin/refusalWords';
import { describeError, type UiError } from '../errors/messages';
import { invoke } from '../rpc/client';
import { onDataChanged } from '../rpc/dataChanged';
import { EmptyState } from '../ui/EmptyState';
import { ErrorNotice } from '../ui/ErrorNotice';
import { EventPicker, useCurrentEvent } from '../ui/EventPicker';
import { HourlyChart } from './HourlyChart';

type Refused = Array<{ reason: RefusalReason; count: number }>;

/** Refused scans counted by reason, most frequent first. */
function countByReason(reasons: RefusalReason[]): Refused {
  const counts = new Map<RefusalReason, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}

/**
 * An organizer's view of the night: admitted, inside and expected, per gate, per ticket type and
 * per hour, as the server counts them from every device that synced; refused scans by reason from
 * this device's copy. Refetched whenever a sync brings the event's rows, so it is live while doors run.
 */
export function StatsScreen() {
  const event = useCurrentEvent();
  const eventId = event?.id;
  const [stats, setStats] = useState<EventStats | null>(null);
  const [refused, setRefused] = useState<Refused>([]);
  const [error, setError] = useState<UiError | null>(null);

  useEffect(() => {
    if (!eventId) return;
    setStats(null);
    let current = true;
    const load = () =>
      Promise.all([invoke('events.stats', { eventId }), invoke('checkin.refusals', { eventId, limit: 500 })]).then(
        ([figures, refusals]) => {
          if (!current) return;
          setStats(figures);
          setRefused(countByReason(refusals.map((refusal) => refusal.reason)));
          setError(null);
        },
        (failure: unknown) => current && setError(describeError(failure)),
      );
    void load();
    const off = onDataChanged(eventId, () => void load(), 1000);
    return () => {
      current = false;
      off();
    };
  }, [eventId]);

  return (
    <section className="screen" aria-labelledby="stats-title">
      <header className="screen-header">
        <h1 id="stats-title">Stats</h1>
        <EventPicker />
      </header>
      <ErrorNotice error={error} />
      {!event ? (
        <EmptyState title="Choose an event to see its figures." />
      ) : !stats ? (
        error ? null : (
          <p className="hint">Counting…</p>
        )
      ) : (
        <>
          <div className="card">
            <dl className="facts stats-figures">
              <div>
                <dt>Admitted</dt>
                <dd data-testid="stats-admitted">
                  {stats.checkedIn.toLocaleString()}{' '}
                  <span className="of">/ {stats.booked.toLocaleString()} expected</span>
                </dd>
              </div>
              <div>
                <dt>Inside now</dt>
                <dd>{stats.inside.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Booked</dt>
                <dd>
                  {stats.booked.toLocaleString()}{' '}
                  <span className="of">/ {stats.capacity.toLocaleString()} capacity</span>
                </dd>
              </div>
              {stats.admittedThenCancelled > 0 ? (
                <div>
                  <dt>Admitted, since cancelled</dt>
                  <dd>{stats.admittedThenCancelled.toLocaleString()}</dd>
                </div>
              ) : null}
            </dl>
          </div>
          <section className="card" aria-labelledby="stats-hours-title">
            <h2 id="stats-hours-title">Entries per hour ({event.timezone.replace(/_/g, ' ')} time)</h2>
            <HourlyChart byHour={stats.byHour} timeZone={event.timezone} />
          </section>
          <div className="two-columns">
            <section className="card" aria-labelledby="stats-gates-title">
              <h2 id="stats-gates-title">By gate</h2>
              <table className="data-table compact" aria-labelledby="stats-gates-title">
                <thead>
                  <tr>
                    <th scope="col">Gate</th>
                    <th scope="col" className="numeric">
                      Entries
                    </th>
                    <th scope="col" className="numeric">
                      Exits
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {stats.byGate.map((row) => (
                    <tr key={row.gate}>
                      <td className="truncate">{row.gate}</td>
                      <td className="numeric">{row.entries.toLocaleString()}</td>
                      <td className="numeric">{row.exits.toLocaleString()}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section className="card" aria-labelledby="stats-types-title">
              <h2 id="stats-types-title">By ticket type</h2>
              <table className="data-table compact" aria-labelledby="stats-types-title">
                <thead>
                  <tr>
                    <th scope="col">Ticket type</th>
                    <th scope="col" className="numeric">
                      Admitted
                    </th>
                    <th scope="col" className="numeric">
                      Booked
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {stats.byTicketType.map((row) => (
                    <tr key={row.ticketTypeId}>
                      <td className="truncate">{row.name}</td>
                      <td className="numeric">{row.checkedIn.toLocaleString()}</td>
                      <td className="numeric">{row.booked.toLocaleString()}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
          <section className="card" aria-labelledby="stats-refused-title">
            <h2 id="stats-refused-title">Refused at the door, by reason</h2>
            {refused.length === 0 ? (
              <p className="hint">No refused scans.</p>
            ) : (
              <ul className="reason-counts">
                {refused.map((row) => (
                  <li key={row.reason}>
                    {REFUSAL_WORDS[row.reason]}: <strong>{row.count.toLocaleString()}</strong>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </section>
  );
}
