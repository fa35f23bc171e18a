import { useEffect, useState } from 'react';
import { useCheckinStore } from './checkinStore';

/** For people without their QR: find by name, email or the short code under the QR. */
export function ManualSearch({ eventId }: { eventId: string }) {
  const [query, setQuery] = useState('');
  const matches = useCheckinStore((state) => state.matches);
  const search = useCheckinStore((state) => state.search);
  const manual = useCheckinStore((state) => state.manual);

  useEffect(() => {
    void search(eventId, query);
  }, [eventId, query, search]);

  return (
    <section className="card manual" aria-labelledby="manual-title">
      <h2 id="manual-title">Find a guest</h2>
      <input
        type="search"
        aria-label="Find a guest by name, email or code"
        placeholder="Name, email or code"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {query.trim() && matches.length === 0 ? <p className="hint">Nobody found.</p> : null}
      <ul className="matches">
        {matches.map((row) => (
          <li key={row.id}>
            <span className="truncate" title={row.attendee.name}>
              {row.attendee.name} <span className="mono">{row.code}</span>
              {row.status === 'cancelled' ? <span className="tag tag-danger">cancelled</span> : null}
              {row.checkedIn ? <span className="tag">inside</span> : null}
            </span>
            <button
              type="button"
              className="button-small"
              aria-label={`Check in ${row.attendee.name}`}
              onClick={() => {
                void manual(eventId, row.id);
                setQuery('');
              }}
            >
              Check in
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
