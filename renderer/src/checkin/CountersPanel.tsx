import type { Counters } from './checkinStore';

export function CountersPanel({ counters, gate }: { counters: Counters | null; gate: string }) {
  return (
    <section className="card counters" aria-labelledby="counters-title">
      <h2 id="counters-title">Counts</h2>
      {counters ? (
        <dl>
          <div>
            <dt>Admitted</dt>
            <dd data-testid="admitted-count">
              {counters.admitted.toLocaleString()} <span className="of">/ {counters.expected.toLocaleString()}</span>
            </dd>
          </div>
          <div>
            <dt>Inside now</dt>
            <dd>{counters.inside.toLocaleString()}</dd>
          </div>
          <div>
            <dt className="truncate" title={gate}>
              At {gate || 'this gate'}
            </dt>
            <dd>{counters.admittedAtGate.toLocaleString()}</dd>
          </div>
          {counters.admittedThenCancelled > 0 ? (
            <div>
              <dt title="People let in on bookings that were cancelled afterwards; not counted as admitted">
                Admitted, since cancelled
              </dt>
              <dd data-testid="admitted-cancelled-count">{counters.admittedThenCancelled.toLocaleString()}</dd>
            </div>
          ) : null}
        </dl>
      ) : (
        <p className="hint">Counting…</p>
      )}
    </section>
  );
}
